import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import { HttpApiDecodeError } from "@effect/platform/HttpApiError"
import { type HttpClientError, isHttpClientError } from "@effect/platform/HttpClientError"
import { problems, problemsMessage, problemsOfParseError } from "@signal/domain/Problems"
import { Effect, ParseResult, Predicate, SchemaAST as AST } from "effect"

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

/**
 * Everything a call through the typed `SignalClient` can fail with: the contract's errors (tagged
 * errors with a stable `code`), transport errors and schema mismatches.
 */
export type SignalApiFailure = HttpApiDecodeError | HttpClientError | ParseResult.ParseError | ContractError

/** The shape shared by every error the contract declares (`BadRequest`, `NotFound`, …). */
export interface ContractError {
  readonly _tag: string
  readonly code: string
  readonly message: string
}

const isContractError = (u: unknown): u is ContractError =>
  Predicate.isRecord(u) && typeof u._tag === "string" && typeof u.code === "string" && typeof u.message === "string"

/** The HTTP status the contract gives an error class (its `HttpApiSchema` status annotation). */
const contractStatus = (error: ContractError): number => {
  const ast: unknown = (error.constructor as { readonly ast?: unknown } | undefined)?.ast
  return Predicate.isRecord(ast) && typeof ast._tag === "string" ? HttpApiSchema.getStatusErrorAST(ast as unknown as AST.AST) : 0
}

/** `details`, or else whatever the error carries beyond `_tag`, `code` and `message`. */
const contractDetails = (error: ContractError): unknown => {
  const { _tag, code, message, ...rest } = error as ContractError & Record<string, unknown>
  if ("details" in rest) return rest.details
  return Object.keys(rest).length === 0 ? undefined : rest
}

/** A request the client refused to send because its input does not match the contract. */
export const invalidRequest = (error: ParseResult.ParseError): SignalClientError => {
  const list = problemsOfParseError(error)
  return new SignalClientError({ status: 400, code: "invalid_request", message: problemsMessage(list), details: list, cause: error })
}

/**
 * A decoding failure in one line a person reads: each problem as `path: message`, cut at 300
 * characters (the value that failed may be a whole HTML page).
 */
export const describeParseError = (error: ParseResult.ParseError): string => {
  const line = ParseResult.ArrayFormatter.formatErrorSync(error)
    .map((issue) => (issue.path.length === 0 ? issue.message : `${issue.path.join(".")}: ${issue.message}`))
    .join("; ")
    .replace(/\s+/g, " ")
  return line.length > 300 ? `${line.slice(0, 299)}…` : line
}

const invalidResponse = (error: ParseResult.ParseError): SignalClientError =>
  new SignalClientError({
    status: 0,
    code: "invalid_response",
    message: `the server's answer does not match the contract: ${describeParseError(error)}`,
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
export const toSignalClientError = (error: unknown): Effect.Effect<SignalClientError> => {
  if (error instanceof SignalClientError) return Effect.succeed(error)
  if (ParseResult.isParseError(error)) return Effect.succeed(invalidResponse(error))
  if (isHttpClientError(error)) {
    if (error._tag === "RequestError") {
      return Effect.succeed(
        new SignalClientError({
          status: 0,
          code: "network_error",
          message: `could not reach ${error.request.url}: ${causeMessage(error.cause) ?? error.message}`,
          cause: error
        })
      )
    }
    const response = error.response
    // arrayBuffer, not text: the body may have been read as an ArrayBuffer already (it is cached)
    return response.arrayBuffer.pipe(
      Effect.map((buffer) => fromBody(response.status, new TextDecoder().decode(buffer), error)),
      Effect.orElseSucceed(() => fromBody(response.status, "", error))
    )
  }
  if (error instanceof HttpApiDecodeError) {
    return Effect.succeed(
      new SignalClientError({
        status: 400,
        code: "invalid_request",
        message: problemsMessage(problems(error.issues)),
        details: problems(error.issues),
        cause: error
      })
    )
  }
  if (isContractError(error)) {
    return Effect.succeed(
      new SignalClientError({
        status: contractStatus(error),
        code: error.code,
        message: error.message,
        details: contractDetails(error),
        cause: error
      })
    )
  }
  return Effect.succeed(
    new SignalClientError({
      status: 0,
      code: "client_error",
      message: error instanceof Error ? error.message : String(error),
      cause: error
    })
  )
}

const causeMessage = (cause: unknown): string | undefined => {
  if (!(cause instanceof Error)) return undefined
  const inner = (cause as { cause?: unknown }).cause
  return inner instanceof Error ? `${cause.message} (${inner.message})` : cause.message
}
