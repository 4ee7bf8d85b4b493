import { Config, ConfigError, Context, Effect, Layer, Option, Redacted } from "effect"

export interface AccessSettings {
  /** `None`: no admin key configured, the unauthenticated loopback mode. */
  readonly adminKey: Option.Option<Redacted.Redacted<string>>
  /** Requests per second per key (also the burst); 0 turns the limit off. */
  readonly rateLimitPerSecond: number
}

const MIN_ADMIN_KEY_LENGTH = 16

/** Hosts that only this machine can reach. */
export const isLoopback = (host: string): boolean => {
  const name = host.trim().toLowerCase().replace(/^\[(.*)\]$/, "$1")
  return name === "localhost" || name === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name)
}

/**
 * The secure default: without `SIGNAL_ADMIN_KEY` the API serves without authentication, and that
 * only on a loopback address (with a warning at start); on any other address it refuses to start.
 */
export const load = (host: string): Effect.Effect<AccessSettings, ConfigError.ConfigError> =>
  Effect.gen(function*() {
    const adminKey = yield* Config.redacted("SIGNAL_ADMIN_KEY").pipe(
      Config.map((key) => Redacted.value(key).trim() === "" ? Option.none() : Option.some(key)),
      Config.withDefault(Option.none<Redacted.Redacted<string>>())
    )
    const rateLimitPerSecond = yield* Config.integer("SIGNAL_API_RATE_LIMIT_PER_SECOND").pipe(
      Config.validate({ message: "must be 0 (no limit) or more", validation: (n) => n >= 0 }),
      Config.withDefault(100)
    )
    if (Option.isSome(adminKey) && Redacted.value(adminKey.value).length < MIN_ADMIN_KEY_LENGTH) {
      return yield* Effect.fail(ConfigError.InvalidData(
        ["SIGNAL_ADMIN_KEY"],
        `SIGNAL_ADMIN_KEY must be at least ${MIN_ADMIN_KEY_LENGTH} characters long`
      ))
    }
    if (Option.isNone(adminKey)) {
      if (!isLoopback(host)) {
        return yield* Effect.fail(ConfigError.InvalidData(
          ["SIGNAL_ADMIN_KEY"],
          `SIGNAL_ADMIN_KEY is not set and HOST is ${host}: Signal serves its API without authentication ` +
            `only on a loopback address (127.0.0.1, ::1, localhost). Set SIGNAL_ADMIN_KEY or bind HOST=127.0.0.1.`
        ))
      }
      yield* Effect.logWarning(
        `SIGNAL_ADMIN_KEY is not set: the API on ${host} accepts requests without authentication ` +
          `(loopback only). Set SIGNAL_ADMIN_KEY before exposing it.`
      )
    }
    return { adminKey, rateLimitPerSecond }
  })

export class AccessConfig extends Context.Tag("@signal/gateway/AccessConfig")<AccessConfig, AccessSettings>() {
  /** The settings for an API bound to `host`; fails (a `ConfigError`) where the secure default forbids it. */
  static readonly layer = (host: string): Layer.Layer<AccessConfig, ConfigError.ConfigError> =>
    Layer.effect(AccessConfig, load(host))
}
