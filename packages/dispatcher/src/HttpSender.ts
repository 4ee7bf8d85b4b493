import type { DeliveryError } from "@signal/domain/DeliveryIntent"
import type { AttemptResponse } from "@signal/domain/DeliveryAttempt"
import { Cause, Effect, Exit, Predicate } from "effect"
import type { LookupAddress, LookupAllOptions } from "node:dns"
import { isIP } from "node:net"
import { Agent, request } from "undici"
import { SsrfGuard } from "./SsrfGuard"
import type { WebhookRequest } from "./WebhookRequest"

/** At most this much of a receiver's answer is kept. */
export const MAX_RESPONSE_BODY_BYTES = 64 * 1024

export interface SendResult {
  readonly ok: boolean
  readonly response: AttemptResponse | null
  readonly error: DeliveryError | null
}

const BLOCKED = "SIGNAL_BLOCKED_ADDRESS"

/** The attempt's deadline passed before the whole (capped) answer arrived. */
class TimedOut {}

/** Stable error codes from the socket, DNS, parser and HTTP stack errors anywhere in the cause chain. */
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
      case "UND_ERR_SOCKET":
        return { code: "connection_reset", message }
      case "ENOTFOUND":
      case "EAI_AGAIN":
      case "SIGNAL_DNS":
        return { code: "dns", message }
      case "ETIMEDOUT":
      case "UND_ERR_CONNECT_TIMEOUT":
        return { code: "timeout", message }
      // Thrown by the HTTP stack before anything is sent: a header it refuses to write.
      case "ERR_INVALID_CHAR":
      case "ERR_INVALID_HTTP_TOKEN":
      case "ERR_HTTP_INVALID_HEADER_VALUE":
        return { code: "invalid_header", message }
      case "UND_ERR_INVALID_ARG":
        return message.includes("header") ? { code: "invalid_header", message } : { code: "internal_error", message }
      case "ERR_INVALID_URL":
        return { code: "invalid_url", message }
    }
    // An answer the HTTP parser refuses (a NUL in a header, a malformed status line).
    if (code?.startsWith("HPE_")) return { code: "invalid_response", message }
    if (message.includes("socket hang up") || message.includes("other side closed")) {
      return { code: "connection_reset", message }
    }
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

/** Response headers as one string per name (repeated ones joined as HTTP would fold them). */
const flatHeaders = (headers: Record<string, string | Array<string> | undefined>): Record<string, string> => {
  const flat: Record<string, string> = {}
  for (const name in headers) {
    const value = headers[name]
    if (value !== undefined) flat[name] = typeof value === "string" ? value : value.join(", ")
  }
  return flat
}

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

    // One connection pool per origin, kept alive between deliveries for 4 s at most: under the 5 s
    // after which Node servers close an idle connection, so a request is not sent on one the
    // receiver is closing (a spurious `connection_reset`). Timeouts are the attempt's, enforced
    // around the whole exchange, so undici's own header and body timers are off.
    const agent = yield* Effect.acquireRelease(
      Effect.sync(() =>
        new Agent({
          connect: { lookup: lookup as never },
          keepAliveTimeout: 4_000,
          keepAliveMaxTimeout: 4_000,
          headersTimeout: 0,
          bodyTimeout: 0
        })
      ),
      (agent) => Effect.promise(() => agent.destroy())
    )

    // IP literals never reach `lookup`, so they are checked before dialling.
    const checkLiteral = (url: URL) => {
      const host = url.hostname.replace(/^\[|\]$/g, "")
      return isIP(host) === 0 ? Effect.void : guard.checkAddress(host)
    }

    /** Sends and reads at most `MAX_RESPONSE_BODY_BYTES` of the answer; an abort cuts both. */
    const exchange = async (url: URL, webhook: WebhookRequest, signal: AbortSignal): Promise<AttemptResponse> => {
      const response = await request(url, {
        dispatcher: agent,
        method: webhook.method,
        headers: webhook.headers,
        body: webhook.body,
        signal
      })
      const chunks: Array<Buffer> = []
      let size = 0
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        chunks.push(chunk)
        size += chunk.length
        if (size >= MAX_RESPONSE_BODY_BYTES) break
      }
      // Whatever is left unread is dropped with its connection, never buffered.
      if (size >= MAX_RESPONSE_BODY_BYTES) response.body.destroy()
      return {
        statusCode: response.statusCode,
        headers: flatHeaders(response.headers),
        body: Buffer.concat(chunks, size).subarray(0, MAX_RESPONSE_BODY_BYTES).toString("utf8")
      }
    }

    /**
     * The exchange under the attempt's deadline. The deadline is the receiver's, in real time, and it
     * is the only thing that cuts an exchange: interrupting the caller (shutdown, shard hand-over)
     * waits for the answer instead of abandoning a request the receiver may already have acted on.
     */
    const exchangeWithin = (url: URL, webhook: WebhookRequest) =>
      Effect.async<AttemptResponse, unknown>((resume) => {
        const controller = new AbortController()
        const timer = setTimeout(() => controller.abort(), webhook.timeoutMs)
        exchange(url, webhook, controller.signal).then(
          (response) => {
            clearTimeout(timer)
            resume(Effect.succeed(response))
          },
          (error) => {
            clearTimeout(timer)
            resume(Effect.fail(controller.signal.aborted ? new TimedOut() : error))
          }
        )
      })

    const send = (webhook: WebhookRequest) =>
      Effect.gen(function*() {
        const url = new URL(webhook.url)
        // Signal's own plain headers only; signatures are marked present, never shown, and custom
        // headers (which may carry credentials) are left out.
        yield* Effect.annotateCurrentSpan({
          "http.request.method": webhook.method,
          "url.full": url.origin + url.pathname,
          "http.request.header.webhook-id": webhook.headers["webhook-id"],
          "http.request.header.webhook-timestamp": webhook.headers["webhook-timestamp"],
          "http.request.header.webhook-signature": "<redacted>",
          "http.request.header.x-signal-signature": "<redacted>"
        })
        // The receiver joins the trace under this span, whatever the tracing backend.
        const span = yield* Effect.orDie(Effect.currentSpan)
        const headers = { ...webhook.headers, traceparent: `00-${span.traceId}-${span.spanId}-${span.sampled ? "01" : "00"}` }
        const outcome = yield* checkLiteral(url).pipe(
          Effect.zipRight(exchangeWithin(url, { ...webhook, headers })),
          Effect.either
        )
        if (outcome._tag === "Left") {
          const error = outcome.left
          if (error instanceof TimedOut) {
            return { ok: false, response: null, error: { code: "timeout", message: `no answer within ${webhook.timeoutMs} ms` } }
          }
          if (Predicate.isTagged(error, "BlockedAddress")) {
            return { ok: false, response: null, error: { code: "blocked_address", message: String((error as { message?: unknown }).message) } }
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
      }).pipe(
        // One span per HTTP call, named and shaped as OpenTelemetry's HTTP client spans; no stack
        // trace is captured for it (it would cost more than the request on this path).
        Effect.withSpan(`http.client ${webhook.method}`, { kind: "client", captureStackTrace: false })
      )

    return { send } as const
  })
}) {}
