import type { HttpApiDecodeError } from "@effect/platform/HttpApiError"
import type { HttpClientError } from "@effect/platform/HttpClientError"
import type { BadRequest, NotFound, PayloadTooLarge, ServiceUnavailable } from "@signal/domain/ApiError"
import { Effect, ParseResult, Predicate } from "effect"

/**
 * The one error every client call rejects with.
 *
 * * `status`: the HTTP status the server answered with; `0` when no answer arrived (network
 *   failure) or the answer could not be understood.
 * * `code`: stable machine-readable code, e.g. `not_found`, `invalid_request`, `unavailable`,
 *   `network_error`, `invalid_response`.
 * * `details`: whatever extra data the server attached (validation issues, batch index, …).
 */
export class SignalClientError extends Error {
  readonly _tag = "SignalClientError" as const
  readonly status: number
  readonly code: string
  readonly details: unknown

  constructor(options: {
    readonly status: number
    readonly code: string
    readonly message: string
    readonly details?: unknown
    readonly cause?: unknown
  }) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = "SignalClientError"
    this.status = options.status
    this.code = options.code
    this.details = options.details
  }

  toJSON() {
    return { status: this.status, code: this.code, message: this.message, details: this.details }
  }
}

export const isSignalClientError = (u: unknown): u is SignalClientError => u instanceof SignalClientError

/** Everything a call through the typed `SignalClient` can fail with. */
export type SignalApiFailure =
  | BadRequest
  | NotFound
  | PayloadTooLarge
  | ServiceUnavailable
  | HttpApiDecodeError
  | HttpClientError
  | ParseResult.ParseError

const contractStatus: Record<string, number> = {
  BadRequest: 400,
  NotFound: 404,
  PayloadTooLarge: 413,
  ServiceUnavailable: 503
}

/** A request the client refused to send because its input does not match the contract. */
export const invalidRequest = (error: ParseResult.ParseError): SignalClientError =>
  new SignalClientError({
    status: 400,
    code: "invalid_request",
    message: ParseResult.TreeFormatter.formatErrorSync(error),
    details: ParseResult.ArrayFormatter.formatErrorSync(error),
    cause: error
  })

const invalidResponse = (error: ParseResult.ParseError): SignalClientError =>
  new SignalClientError({
    status: 0,
    code: "invalid_response",
    message: `the server's answer does not match the contract: ${ParseResult.TreeFormatter.formatErrorSync(error)}`,
    cause: error
  })

const fromBody = (status: number, body: string, cause: unknown): SignalClientError => {
  let parsed: unknown = undefined
  try {
    parsed = JSON.parse(body)
  } catch {
    // not JSON: fall through to the raw text
  }
  if (Predicate.isRecord(parsed)) {
    const code = typeof parsed.code === "string" ? parsed.code : typeof parsed._tag === "string" ? parsed._tag : `http_${status}`
    const message = typeof parsed.message === "string" ? parsed.message : body
    return new SignalClientError({ status, code, message, details: parsed.details, cause })
  }
  return new SignalClientError({
    status,
    code: `http_${status}`,
    message: body.trim() === "" ? `the server answered HTTP ${status}` : body.trim().slice(0, 500),
    cause
  })
}

/** Normalises any failure of the typed client into a `SignalClientError`. */
export const toSignalClientError = (error: SignalApiFailure | SignalClientError): Effect.Effect<SignalClientError> => {
  if (error instanceof SignalClientError) return Effect.succeed(error)
  if (ParseResult.isParseError(error)) return Effect.succeed(invalidResponse(error))
  switch (error._tag) {
    case "BadRequest":
      return Effect.succeed(
        new SignalClientError({ status: 400, code: error.code, message: error.message, details: error.details, cause: error })
      )
    case "NotFound":
    case "PayloadTooLarge":
    case "ServiceUnavailable":
      return Effect.succeed(
        new SignalClientError({ status: contractStatus[error._tag], code: error.code, message: error.message, cause: error })
      )
    case "HttpApiDecodeError":
      return Effect.succeed(
        new SignalClientError({ status: 400, code: "invalid_request", message: error.message, details: error.issues, cause: error })
      )
    case "RequestError":
      return Effect.succeed(
        new SignalClientError({
          status: 0,
          code: "network_error",
          message: `could not reach ${error.request.url}: ${causeMessage(error.cause) ?? error.message}`,
          cause: error
        })
      )
    case "ResponseError":
      return error.response.text.pipe(
        Effect.map((body) => fromBody(error.response.status, body, error)),
        Effect.orElseSucceed(() => fromBody(error.response.status, "", error))
      )
  }
}

const causeMessage = (cause: unknown): string | undefined => {
  if (!(cause instanceof Error)) return undefined
  const inner = (cause as { cause?: unknown }).cause
  return inner instanceof Error ? `${cause.message} (${inner.message})` : cause.message
}
