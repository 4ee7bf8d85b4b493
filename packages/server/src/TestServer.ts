import * as TestDatabase from "@signal/store/TestDatabase"
import { ConfigProvider, Effect, Exit, Layer, Scope } from "effect"
import { freePort } from "./FreePort"
import { ServerLive } from "./Server"

export interface RunningServer {
  readonly url: string
  readonly databaseUrl: string
  readonly stop: () => Promise<void>
}

export { freePort }

/**
 * Starts a whole Signal (gateway + dispatcher) on a fresh database and a free loopback port, with
 * loopback delivery allowed, for tests that talk to it over real HTTP.
 */
export const startTestServer = async (options: {
  readonly allowPrivateNetworks?: string
  readonly env?: Record<string, string>
  readonly databaseUrl?: string
  /** Provided around the server, e.g. an OpenTelemetry tracer that exports to memory. */
  readonly tracing?: Layer.Layer<never>
} = {}): Promise<RunningServer> => {
  const databaseUrl = options.databaseUrl ?? await Effect.runPromise(TestDatabase.createDatabase())
  const port = await freePort()
  const config = ConfigProvider.fromMap(new Map([
    ["DATABASE_URL", databaseUrl],
    ["HOST", "127.0.0.1"],
    ["PORT", String(port)],
    ["SIGNAL_ALLOW_PRIVATE_NETWORKS", options.allowPrivateNetworks ?? "127.0.0.0/8,::1/128"],
    ["SIGNAL_LOG_LEVEL", "Warning"],
    ["SIGNAL_DB_POOL_SIZE", "20"],
    ...Object.entries(options.env ?? {})
  ])).pipe(ConfigProvider.orElse(() => ConfigProvider.fromEnv()))
  const scope = Effect.runSync(Scope.make())
  await Effect.runPromise(
    Layer.buildWithScope(
      ServerLive.pipe(Layer.provide(options.tracing ?? Layer.empty), Layer.provide(Layer.setConfigProvider(config))),
      scope
    ).pipe(
      Effect.tapErrorCause(() => Scope.close(scope, Exit.void))
    )
  )
  return {
    url: `http://127.0.0.1:${port}`,
    databaseUrl,
    stop: () => Effect.runPromise(Scope.close(scope, Exit.void))
  }
}
