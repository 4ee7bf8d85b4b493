import * as ValidationError from "@effect/cli/ValidationError"
import { isSignalClientError } from "@signal/client/SignalClientError"
import { Cause, Console, Data, Effect, Option } from "effect"

/** The command line was wrong (missing tenant, bad JSON in `--data`, …): exit code 2. */
export class UsageError extends Data.TaggedError("UsageError")<{
  readonly code: string
  readonly message: string
}> {
  constructor(code: string, message: string) {
    super({ code, message })
  }
}

/** Something failed outside the API (config file, local server, …): exit code 1. */
export class CliFailure extends Data.TaggedError("CliFailure")<{
  readonly code: string
  readonly message: string
}> {
  constructor(code: string, message: string) {
    super({ code, message })
  }
}

export const EXIT_OK = 0
export const EXIT_ERROR = 1
export const EXIT_USAGE = 2

interface Described {
  readonly code: string
  readonly message: string
  readonly exitCode: number
  readonly status?: number
  readonly details?: unknown
}

const describe = (error: unknown): Described => {
  if (error instanceof UsageError) return { code: error.code, message: error.message, exitCode: EXIT_USAGE }
  if (error instanceof CliFailure) return { code: error.code, message: error.message, exitCode: EXIT_ERROR }
  if (isSignalClientError(error)) {
    return { code: error.code, message: error.message, exitCode: EXIT_ERROR, status: error.status, details: error.details }
  }
  if (error instanceof Error) {
    const tag = (error as { _tag?: unknown })._tag
    return { code: typeof tag === "string" ? tag : "internal", message: error.message, exitCode: EXIT_ERROR }
  }
  return { code: "internal", message: String(error), exitCode: EXIT_ERROR }
}

/** `error: <code>: <message>` for people; `{"error":{code,message,status?,details?}}` under `--json`. */
const printError = (error: Described, json: boolean) =>
  Console.error(
    json
      ? JSON.stringify({
        error: { code: error.code, message: error.message, status: error.status, details: error.details }
      })
      : `error: ${error.code}: ${error.message}`
  )

/**
 * Runs a CLI program and turns its outcome into an exit code: 0 on success, 2 for usage errors
 * (already explained by @effect/cli, or a `UsageError`), 1 for everything else, each printed on
 * stderr as `error: <code>: <message>`, or as one JSON object with `json`. Interruption (Ctrl-C)
 * is left alone.
 */
export const withExitCode = <E, R>(
  program: Effect.Effect<void, E, R>,
  options: { readonly json?: boolean } = {}
): Effect.Effect<number, never, R> =>
  program.pipe(
    Effect.as(EXIT_OK),
    Effect.catchAllCause((cause) => {
      if (Cause.isInterruptedOnly(cause)) return Effect.failCause(cause as Cause.Cause<never>)
      const failure = Cause.failureOption(cause)
      if (Option.isSome(failure) && ValidationError.isValidationError(failure.value)) {
        // @effect/cli has printed the problem and the usage already
        return Effect.succeed(EXIT_USAGE)
      }
      const error = Option.isSome(failure) ? failure.value : Cause.squash(cause)
      const described = describe(error)
      return printError(described, options.json === true).pipe(
        Effect.zipRight(Option.isSome(failure) ? Effect.void : Console.error(Cause.pretty(cause))),
        Effect.as(described.exitCode)
      )
    })
  )
