import { Config, ConfigError, Effect, Either, Layer, Logger, LogLevel } from "effect"

const levels = ["All", "Fatal", "Error", "Warning", "Info", "Debug", "Trace", "None"] as const

/** `SIGNAL_LOG_LEVEL`: one of the level names, any case (`info`, `Warning`, `DEBUG`). */
const logLevel = Config.string("SIGNAL_LOG_LEVEL").pipe(
  Config.withDefault("Info"),
  Config.mapOrFail((raw) => {
    const name = levels.find((level) => level.toLowerCase() === raw.toLowerCase())
    return name === undefined
      ? Either.left(ConfigError.InvalidData(["SIGNAL_LOG_LEVEL"], `expected one of ${levels.join(", ")}`))
      : Either.right(LogLevel.fromLiteral(name))
  })
)

/** JSON lines in production, pretty output in a terminal; `SIGNAL_LOG_FORMAT` overrides. */
export const layer = Layer.unwrapEffect(Effect.gen(function*() {
  const format = yield* Config.literal("json", "pretty")("SIGNAL_LOG_FORMAT").pipe(
    Config.withDefault(process.stdout.isTTY ? "pretty" as const : "json" as const)
  )
  const level = yield* logLevel
  return Layer.merge(
    Logger.replace(Logger.defaultLogger, format === "json" ? Logger.jsonLogger : Logger.prettyLoggerDefault),
    Logger.minimumLogLevel(level)
  )
}))
