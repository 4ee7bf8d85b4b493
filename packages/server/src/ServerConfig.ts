import { Config, Context, Effect, Layer, Schema } from "effect"

export const Role = Schema.Literal("all", "gateway", "dispatcher")
export type Role = typeof Role.Type

/** Process-level settings; everything else is read where it is used. */
export class ServerConfig extends Context.Tag("@signal/server/ServerConfig")<ServerConfig, {
  readonly role: Role
  readonly host: string
  readonly port: number
  readonly runnerHost: string
  readonly runnerPort: number
  /** Apply pending migrations at start (`SIGNAL_MIGRATE`); off where a migration step runs first. */
  readonly migrate: boolean
}>() {
  static readonly layer = Layer.effect(
    ServerConfig,
    Effect.gen(function*() {
      return {
        role: yield* Schema.Config("SIGNAL_ROLE", Role).pipe(Config.withDefault("all" as const)),
        host: yield* Config.string("HOST").pipe(Config.withDefault("127.0.0.1")),
        port: yield* Config.port("PORT").pipe(Config.withDefault(25050)),
        runnerHost: yield* Config.string("SIGNAL_RUNNER_HOST").pipe(Config.withDefault("127.0.0.1")),
        runnerPort: yield* Config.port("SIGNAL_RUNNER_PORT").pipe(Config.withDefault(34431)),
        migrate: yield* Config.boolean("SIGNAL_MIGRATE").pipe(Config.withDefault(true))
      }
    })
  )
}
