import type * as HttpApp from "@effect/platform/HttpApp"
import * as HttpServerError from "@effect/platform/HttpServerError"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import {
  Config,
  ConfigError,
  Context,
  Effect,
  Either,
  FiberRef,
  FiberRefs,
  Inspectable,
  Layer,
  Logger,
  LogLevel,
  Option,
  Tracer
} from "effect"

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

/**
 * One JSON object per line on stdout: Effect's structured fields plus `traceId` and `spanId` of the
 * span the line was logged in, so a log line leads to its trace (and a trace to its logs).
 */
export const tracedJsonLogger = Logger.withConsoleLog(Logger.make((options) => {
  const entry = Logger.structuredLogger.log(options)
  const span = Context.getOption(FiberRefs.getOrDefault(options.context, FiberRef.currentContext), Tracer.ParentSpan)
  const message = entry.message instanceof Error
    ? { name: entry.message.name, message: entry.message.message }
    : entry.message
  return Inspectable.stringifyCircular({
    ...entry,
    message,
    ...Option.match(span, {
      onNone: () => ({}),
      onSome: (span) => ({ traceId: span.traceId, spanId: span.spanId })
    })
  })
}))

/** JSON lines in production, pretty output in a terminal; `SIGNAL_LOG_FORMAT` overrides. */
export const layer = Layer.unwrapEffect(Effect.gen(function*() {
  const format = yield* Config.literal("json", "pretty")("SIGNAL_LOG_FORMAT").pipe(
    Config.withDefault(process.stdout.isTTY ? "pretty" as const : "json" as const)
  )
  const level = yield* logLevel
  return Layer.merge(
    Logger.replace(Logger.defaultLogger, format === "json" ? tracedJsonLogger : Logger.prettyLoggerDefault),
    Logger.minimumLogLevel(level)
  )
}))

/**
 * One line per answered request with its method, URL and status: at Debug for successes (metrics and
 * traces count those; a line each cost publishes a tenth of their CPU), Info for client errors,
 * Error for server errors. `SIGNAL_LOG_LEVEL=debug` shows every request.
 */
export const accessLog = <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R> =>
  Effect.withFiberRuntime((fiber) => {
    const request = Context.unsafeGet(fiber.currentContext, HttpServerRequest.HttpServerRequest)
    return Effect.flatMap(Effect.exit(app), (exit) => {
      const status = exit._tag === "Success"
        ? exit.value.status
        : HttpServerError.causeResponseStripped(exit.cause)[0].status
      const level = status >= 500 ? LogLevel.Error : status >= 400 ? LogLevel.Info : LogLevel.Debug
      if (LogLevel.lessThan(level, fiber.getFiberRef(FiberRef.currentMinimumLogLevel))) return exit
      const cause = exit._tag === "Failure" ? HttpServerError.causeResponseStripped(exit.cause)[1] : Option.none()
      return Effect.logWithLevel(level, Option.getOrElse(cause, () => "Sent HTTP response")).pipe(
        Effect.annotateLogs({ "http.method": request.method, "http.url": request.url, "http.status": status }),
        Effect.zipRight(exit)
      )
    })
  })
