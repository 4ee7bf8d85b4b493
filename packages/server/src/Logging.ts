import { Config, Effect, Layer, Logger, LogLevel } from "effect"

/** JSON lines in production, pretty output in a terminal; `SIGNAL_LOG_FORMAT` overrides. */
export const layer = Layer.unwrapEffect(Effect.gen(function*() {
  const format = yield* Config.literal("json", "pretty")("SIGNAL_LOG_FORMAT").pipe(
    Config.withDefault(process.stdout.isTTY ? "pretty" as const : "json" as const)
  )
  const level = yield* Config.logLevel("SIGNAL_LOG_LEVEL").pipe(Config.withDefault(LogLevel.Info))
  return Layer.merge(
    Logger.replace(Logger.defaultLogger, format === "json" ? Logger.jsonLogger : Logger.prettyLoggerDefault),
    Logger.minimumLogLevel(level)
  )
}))
