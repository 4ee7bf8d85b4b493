import { Headers, HttpClientRequest } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import type { DeliveryError } from "@signal/domain/DeliveryIntent"
import type { AttemptResponse } from "@signal/domain/DeliveryAttempt"
import { Cause, Chunk, Effect, Exit, Fiber, Predicate, Stream } from "effect"
import type { LookupAddress, LookupAllOptions } from "node:dns"
import { isIP } from "node:net"
import { SsrfGuard } from "./SsrfGuard"
import type { WebhookRequest } from "./WebhookRequest"

/** At most this much of a receiver's answer is kept. */
export const MAX_RESPONSE_BODY_BYTES = 64 * 1024

export interface SendResult {
  readonly ok: boolean
  readonly response: AttemptResponse | null
  readonly error: DeliveryError | null
}

/**
 * Never in spans or logs: signatures would let anyone replay a delivery, and custom headers (the
 * event's, the destination's, the receiver's) may carry credentials. Only Signal's own plain headers,
 * trace context and content type are shown.
 */
const redactedHeaders = [
  "authorization",
  "x-signal-signature",
  "webhook-signature",
  /^(?!(?:content-type|content-length|user-agent|webhook-id|webhook-timestamp|traceparent|tracestate|b3)$)/
]

const BLOCKED = "SIGNAL_BLOCKED_ADDRESS"

/** Stable error codes from the socket/DNS errors node reports anywhere in the cause chain. */
const classify = (error: unknown): DeliveryError => {
  let current: unknown = error
  for (let depth = 0; depth < 6 && current !== undefined && current !== null; depth++) {
    const code = (current as { code?: string }).code
    const message = String((current as { message?: string }).message ?? current)
    switch (code) {
      case BLOCKED:
        return { code: "blocked_address", message }
      case "ECONNREFUSED":
        return { code: "connection_refused", message }
      case "ECONNRESET":
      case "EPIPE":
        return { code: "connection_reset", message }
      case "ENOTFOUND":
      case "EAI_AGAIN":
      case "SIGNAL_DNS":
        return { code: "dns", message }
      case "ETIMEDOUT":
        return { code: "timeout", message }
      // Thrown by Node's HTTP stack before anything is sent: a header it refuses to write.
      case "ERR_INVALID_CHAR":
      case "ERR_INVALID_HTTP_TOKEN":
      case "ERR_HTTP_INVALID_HEADER_VALUE":
        return { code: "invalid_header", message }
      case "ERR_INVALID_URL":
        return { code: "invalid_url", message }
    }
    if (message.includes("socket hang up")) return { code: "connection_reset", message }
    current = (current as { cause?: unknown }).cause
  }
  return { code: "network_error", message: String((error as { message?: string })?.message ?? error) }
}

/**
 * A defect while building or sending a request (a throw from the HTTP stack, a bug) as a failed
 * attempt with a stable code, so the intent moves on under its retry policy instead of being stuck.
 */
export const failedSend = (defect: unknown): SendResult => {
  const error = classify(defect)
  return { ok: false, response: null, error: error.code === "network_error" ? { code: "internal_error", message: error.message } : error }
}

const readCapped = <E>(stream: Stream.Stream<Uint8Array, E>) =>
  stream.pipe(
    Stream.runFoldWhile(
      Chunk.empty<Uint8Array>(),
      (chunks) => Chunk.reduce(chunks, 0, (n, c) => n + c.length) < MAX_RESPONSE_BODY_BYTES,
      (chunks, chunk: Uint8Array) => Chunk.append(chunks, chunk)
    ),
    Effect.map((chunks) =>
      Buffer.concat(Chunk.toReadonlyArray(chunks)).subarray(0, MAX_RESPONSE_BODY_BYTES).toString("utf8")
    )
  )

export class HttpSender extends Effect.Service<HttpSender>()("@signal/dispatcher/HttpSender", {
  scoped: Effect.gen(function*() {
    const guard = yield* SsrfGuard

    // Node resolves through this for every connection: only addresses the guard checked are dialled,
    // which also defeats DNS rebinding between check and connect.
    const lookup = (
      hostname: string,
      options: LookupAllOptions | { all?: false },
      callback: (error: NodeJS.ErrnoException | null, address: string | ReadonlyArray<LookupAddress>, family?: number) => void
    ) => {
      Effect.runCallback(guard.resolve(hostname), {
        onExit: Exit.match({
          onFailure: (cause) => {
            const failure = Cause.squash(cause) as { _tag?: string; message?: string }
            const error: NodeJS.ErrnoException = new Error(failure.message ?? "lookup failed")
            error.code = failure._tag === "BlockedAddress" ? BLOCKED : "SIGNAL_DNS"
            callback(error, "")
          },
          onSuccess: (addresses) =>
            options.all
              ? callback(null, addresses.map((a) => ({ address: a.address, family: a.family })))
              : callback(null, addresses[0].address, addresses[0].family)
        })
      })
    }

    // Idle connections are kept up to the same cap (Node keeps only 256 by default and closes the
    // rest, so every burst over that many destinations × concurrency would reconnect), and for 4 s:
    // under the 5 s after which Node servers close an idle connection, so a request is not sent on
    // one the receiver is closing (a spurious `connection_reset`).
    const client = yield* NodeHttpClient.make.pipe(
      Effect.provide(NodeHttpClient.makeAgentLayer({
        keepAlive: true,
        maxSockets: 1024,
        maxFreeSockets: 1024,
        timeout: 4_000,
        lookup: lookup as never
      }))
    )

    // IP literals never reach `lookup`, so they are checked before dialling.
    const checkLiteral = (url: URL) => {
      const host = url.hostname.replace(/^\[|\]$/g, "")
      return isIP(host) === 0 ? Effect.void : guard.checkAddress(host)
    }

    const send = Effect.fn("HttpSender.send")(function*(request: WebhookRequest) {
      const url = new URL(request.url)
      yield* Effect.annotateCurrentSpan({ "http.request.method": request.method, "url.full": url.origin + url.pathname })
      const exchange = Effect.gen(function*() {
        yield* checkLiteral(url)
        const response = yield* client.execute(
          HttpClientRequest.make(request.method)(url).pipe(
            HttpClientRequest.setHeaders(request.headers),
            HttpClientRequest.bodyText(request.body, "application/json")
          )
        )
        const body = yield* readCapped(response.stream)
        return {
          statusCode: response.status,
          headers: Object.fromEntries(Object.entries(response.headers)) as Record<string, string>,
          body
        } satisfies AttemptResponse
      })
      // The exchange runs in its own fiber: only its timeout can cut it. Interrupting the caller
      // (shutdown, shard hand-over) waits for the answer instead of abandoning a request the
      // receiver may already have acted on, which would be sent again elsewhere.
      const outcome = yield* exchange.pipe(
        Effect.timeout(request.timeoutMs),
        Effect.scoped,
        Effect.locally(Headers.currentRedactedNames, redactedHeaders),
        Effect.either,
        Effect.interruptible,
        Effect.forkDaemon,
        Effect.flatMap(Fiber.join)
      )
      if (outcome._tag === "Left") {
        const error = outcome.left
        if (Predicate.isTagged(error, "TimeoutException")) {
          return { ok: false, response: null, error: { code: "timeout", message: `no answer within ${request.timeoutMs} ms` } }
        }
        if (Predicate.isTagged(error, "BlockedAddress")) {
          return { ok: false, response: null, error: { code: "blocked_address", message: String(error.message) } }
        }
        return { ok: false, response: null, error: classify(error) } satisfies SendResult
      }
      const response = outcome.right
      const ok = response.statusCode >= 200 && response.statusCode < 300
      yield* Effect.annotateCurrentSpan("http.response.status_code", response.statusCode)
      return {
        ok,
        response,
        error: ok ? null : { code: "http_status", message: `receiver answered ${response.statusCode}` }
      } satisfies SendResult
    })

    return { send } as const
  })
}) {}

