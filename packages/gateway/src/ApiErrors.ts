import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { HttpApiDecodeError } from "@effect/platform/HttpApiError"
import { RequestError, RouteNotFound } from "@effect/platform/HttpServerError"
import type { SqlError } from "@effect/sql/SqlError"
import {
  BadRequest,
  HeadersTooLarge,
  NotFound,
  PayloadTooLarge,
  RateLimited,
  ServiceUnavailable,
  Unauthorized,
  UnsupportedMediaType
} from "@signal/domain/ApiError"
import { problems, problemsMessage, type Problem } from "@signal/domain/Problems"
import { hasLoneSurrogateEscape, loneSurrogateMessage, loneSurrogatePath } from "@signal/domain/UnicodeText"
import { sqlState } from "@signal/store/SqlFailure"
import { Cause, Config, Effect, Layer, Option, Schema } from "effect"
import * as RequestBody from "./RequestBody"

const respond = <A, I>(schema: Schema.Schema<A, I>, status: number) => (error: A) =>
  HttpServerResponse.unsafeJson(Schema.encodeSync(schema)(error), { status })

const tooLarge = (limit: number) =>
  respond(PayloadTooLarge, 413)(
    new PayloadTooLarge({ code: "payload_too_large", message: `request body exceeds ${limit} bytes` })
  )

/** A request that breaks the contract: one sentence per problem as the message, each with its path in `details`. */
const invalidRequest = (list: ReadonlyArray<Problem>) =>
  new BadRequest({ code: "invalid_request", message: problemsMessage(list), details: list })

/** Framework failures the contract describes differently: answered here as the contract's errors. */
const recover = (error: unknown): Option.Option<HttpServerResponse.HttpServerResponse> => {
  if (error instanceof HttpApiDecodeError) {
    return Option.some(respond(BadRequest, 400)(
      invalidRequest(problems(error.issues))
    ))
  }
  if (error instanceof RequestError) {
    return Option.some(
      respond(BadRequest, 400)(new BadRequest({ code: "invalid_json", message: "the request body is not valid JSON" }))
    )
  }
  // Deeply nested JSON overflows the stack while the schema error describing it is formatted.
  if (error instanceof RangeError && error.message.includes("call stack")) {
    return Option.some(respond(BadRequest, 400)(
      new BadRequest({ code: "invalid_request", message: "the request body nests too deeply" })
    ))
  }
  // Contract errors that also need a header.
  if (error instanceof RateLimited) {
    return Option.some(
      HttpServerResponse.setHeader(respond(RateLimited, 429)(error), "retry-after", String(error.retryAfterSeconds))
    )
  }
  if (error instanceof Unauthorized) {
    return Option.some(HttpServerResponse.setHeader(respond(Unauthorized, 401)(error), "www-authenticate", "Bearer"))
  }
  if (error instanceof RouteNotFound) {
    return Option.some(respond(NotFound, 404)(
      new NotFound({ code: "not_found", message: `no route for ${error.request.method} ${error.request.url}` })
    ))
  }
  return Option.none()
}

/** More request headers than any client of this API needs; their total size is capped by Node (431). */
export const MAX_REQUEST_HEADERS = 100

/** `application/json` or `application/<anything>+json`, parameters (charset) aside. */
const isJson = (contentType: string) => /^application\/([\w.-]+\+)?json\s*(;|$)/i.test(contentType.trim())

/** A body is coming (any length, or chunked) in a method whose body the API reads. */
const hasBody = (method: string, headers: Readonly<Record<string, string | undefined>>) =>
  (method === "POST" || method === "PUT" || method === "PATCH") &&
  (Number(headers["content-length"] ?? 0) > 0 || headers["transfer-encoding"] !== undefined)

/** The problem of a JSON body that escapes a lone surrogate, at the field that holds it; `undefined` when it has none. */
const illFormedText = (body: string): ReadonlyArray<Problem> | undefined => {
  if (!hasLoneSurrogateEscape(body)) return undefined
  let path: ReadonlyArray<PropertyKey> | undefined
  try {
    path = loneSurrogatePath(JSON.parse(body))
  } catch (error) {
    // not JSON: the handler answers so; nested too deeply to walk: the request as a whole
    if (error instanceof SyntaxError) return undefined
    path = []
  }
  return path === undefined ? undefined : problems([{ _tag: "Type", path, message: loneSurrogateMessage }])
}

/**
 * Schema and JSON problems (also bodies nested too deeply to describe) become 400s with a stable code,
 * oversize bodies 413, bodies that are not JSON 415, too many headers 431, unknown routes 404; the
 * body limit is enforced both from Content-Length and while reading. 429s carry `Retry-After`, 401s
 * `WWW-Authenticate`.
 */
export const layer = Layer.unwrapEffect(Effect.gen(function*() {
  const maxBodyBytes = yield* Config.integer("SIGNAL_MAX_BODY_BYTES").pipe(Config.withDefault(1024 * 1024))
  return HttpApiBuilder.middleware((app) =>
    Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      // each read of `request.headers` copies them
      const headers = request.headers
      if (Number(headers["content-length"] ?? 0) > maxBodyBytes) return tooLarge(maxBodyBytes)
      const contentType = headers["content-type"]
      const withBody = hasBody(request.method, headers)
      if (contentType !== undefined && !isJson(contentType) && withBody) {
        return respond(UnsupportedMediaType, 415)(
          new UnsupportedMediaType({ code: "unsupported_media_type", message: "request bodies must be application/json" })
        )
      }
      if (Object.keys(headers).length > MAX_REQUEST_HEADERS) {
        return respond(HeadersTooLarge, 431)(
          new HeadersTooLarge({ code: "headers_too_large", message: `more than ${MAX_REQUEST_HEADERS} request headers` })
        )
      }
      if (!withBody) return yield* app
      // read once here, and handed on with the request: no text with a lone surrogate gets further
      const body = yield* Effect.orDie(RequestBody.read(request, maxBodyBytes))
      if (body._tag === "TooLarge") return tooLarge(maxBodyBytes)
      const illFormed = illFormedText(body.text)
      if (illFormed !== undefined) return respond(BadRequest, 400)(invalidRequest(illFormed))
      return yield* Effect.provideService(app, HttpServerRequest.HttpServerRequest, RequestBody.withText(request, body.text))
    }).pipe(
      Effect.catchAllCause((cause) =>
        Option.match(recover(Cause.squash(cause)), {
          onNone: () => Effect.failCause(cause),
          onSome: Effect.succeed
        })
      )
    )
  )
}))

/** SQLSTATEs for client text Postgres cannot store (NUL characters, `\u0000` in JSON). */
const unstorableText = new Set(["22021", "22P05"])

const isSqlError = (error: unknown): error is SqlError => (error as { _tag?: string } | null)?._tag === "SqlError"

/**
 * An unreachable database is the service's problem, never the client's: 503, retry later. That
 * includes a COMMIT or ROLLBACK that fails with the connection, which @effect/sql raises as a defect.
 * Text the database refuses to store is the client's: 400.
 */
export const databaseUnavailable = <A, E, R>(self: Effect.Effect<A, E | SqlError, R>) =>
  Effect.catchIf(
    Effect.catchSomeDefect(self, (defect) => isSqlError(defect) ? Option.some(Effect.fail(defect)) : Option.none()),
    isSqlError,
    (error): Effect.Effect<never, BadRequest | ServiceUnavailable> =>
      unstorableText.has(sqlState(error) ?? "")
        ? Effect.fail(new BadRequest({ code: "invalid_request", message: "text must not contain NUL characters" }))
        : Effect.logError("database error", error).pipe(
          Effect.zipRight(Effect.fail(new ServiceUnavailable({ code: "unavailable", message: "database unavailable, retry later" })))
        )
  ) as Effect.Effect<A, Exclude<E, SqlError> | ServiceUnavailable | BadRequest, R>
