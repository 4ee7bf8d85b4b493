import type { DeliveryError } from "@signal/domain/DeliveryIntent"
import type { AttemptResponse } from "@signal/domain/DeliveryAttempt"
import { toTraceparent } from "@signal/domain/TraceContext"
import { Cause, Effect, Exit, type Tracer } from "effect"
import type { LookupAddress, LookupAllOptions } from "node:dns"
import { isIP } from "node:net"
import { Agent, type Dispatcher, util } from "undici"
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
 * Where a destination's requests go, parsed and checked once per read of the destination rather
 * than per attempt: `refused` is the failure every attempt to it ends with (a blocked IP literal, a
 * URL that does not parse).
 */
export interface Target {
  readonly origin: string
  readonly path: string
  readonly refused: DeliveryError | null
}

const BLOCKED = "SIGNAL_BLOCKED_ADDRESS"

/** The attempt's deadline passed before the whole (capped) answer arrived. */
class TimedOut extends Error {}

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

const failure = (error: DeliveryError): SendResult => ({ ok: false, response: null, error })

/**
 * A defect while building or sending a request (a throw from the HTTP stack, a bug) as a failed
 * attempt with a stable code, so the intent moves on under its retry policy instead of being stuck.
 */
export const failedSend = (defect: unknown): SendResult => {
  const error = classify(defect)
  return failure(error.code === "network_error" ? { code: "internal_error", message: error.message } : error)
}

/** Response headers as one string per name (repeated ones joined as HTTP would fold them). */
const flatHeaders = (raw: ReadonlyArray<Buffer>): Record<string, string> => {
  const parsed = util.parseHeaders(raw as Array<Buffer>) as Record<string, string | Array<string>>
  for (const name in parsed) {
    const value = parsed[name]
    if (typeof value !== "string") parsed[name] = value.join(", ")
  }
  return parsed as Record<string, string>
}

/**
 * One exchange as undici's low-level handler: the answer is collected from callbacks, without a
 * response stream, an async iterator or an AbortController per request, and read up to
 * `MAX_RESPONSE_BODY_BYTES`; past that the connection is dropped rather than the rest buffered.
 */
class Exchange implements Dispatcher.DispatchHandler {
  private abort: ((reason: Error) => void) | undefined
  private abortReason: Error | undefined
  private statusCode = 0
  private headers: Record<string, string> = {}
  private readonly chunks: Array<Buffer> = []
  private size = 0
  private settled = false
  private readonly timer: ReturnType<typeof setTimeout>

  constructor(private readonly timeoutMs: number, private readonly done: (result: SendResult) => void) {
    this.timer = setTimeout(() => this.cancel(new TimedOut()), timeoutMs)
  }

  private cancel(reason: Error) {
    if (this.abort === undefined) this.abortReason = reason
    else this.abort(reason)
  }

  private settle(result: SendResult) {
    if (this.settled) return
    this.settled = true
    clearTimeout(this.timer)
    this.done(result)
  }

  private answered() {
    const statusCode = this.statusCode
    const ok = statusCode >= 200 && statusCode < 300
    const body = Buffer.concat(this.chunks, this.size).subarray(0, MAX_RESPONSE_BODY_BYTES).toString("utf8")
    this.settle({
      ok,
      response: { statusCode, headers: this.headers, body },
      error: ok ? null : { code: "http_status", message: `receiver answered ${statusCode}` }
    })
  }

  onConnect(abort: (reason: Error) => void) {
    if (this.abortReason !== undefined) abort(this.abortReason)
    else this.abort = abort
  }

  onHeaders(statusCode: number, rawHeaders: Array<Buffer>) {
    // 1xx answers are interim: the real one follows.
    if (statusCode < 200) return true
    this.statusCode = statusCode
    this.headers = flatHeaders(rawHeaders)
    return true
  }

  onData(chunk: Buffer) {
    if (this.settled) return true
    this.chunks.push(chunk)
    this.size += chunk.length
    if (this.size >= MAX_RESPONSE_BODY_BYTES) {
      this.answered()
      // Whatever is left unread is dropped with its connection, never buffered.
      this.cancel(new Error("response body cap reached"))
    }
    return true
  }

  onComplete() {
    this.answered()
  }

  onError(error: Error) {
    if (error instanceof TimedOut) this.settle(failure({ code: "timeout", message: `no answer within ${this.timeoutMs} ms` }))
    else this.settle(failure(classify(error)))
  }
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

    /** Parses a destination's URL and checks an IP literal (those never reach `lookup`) before any dialling. */
    const target = (url: string): Effect.Effect<Target> => {
      let parsed: URL
      try {
        parsed = new URL(url)
      } catch (error) {
        return Effect.succeed({ origin: "", path: "", refused: classify(error) })
      }
      const host = parsed.hostname.replace(/^\[|\]$/g, "")
      const address = { origin: parsed.origin, path: parsed.pathname + parsed.search }
      if (isIP(host) === 0) return Effect.succeed({ ...address, refused: null })
      return guard.checkAddress(host).pipe(
        Effect.as({ ...address, refused: null }),
        Effect.catchAll((blocked) => Effect.succeed({ ...address, refused: { code: "blocked_address", message: blocked.message } }))
      )
    }

    /**
     * Sends one request under `span` (the attempt's HTTP client span, which the receiver joins through
     * `traceparent`) and calls `done` once with its result (never with an error; before it returns when
     * the request cannot go out). A callback, not a promise: one promise and its reactions less per
     * delivery. The deadline is the receiver's, in real time, and it is the only thing that cuts an
     * exchange: a caller that stops (shutdown, shard hand-over) waits for the answer instead of
     * abandoning a request the receiver may have acted on.
     */
    const exchange = (to: Target, webhook: WebhookRequest, span: Tracer.Span, done: (result: SendResult) => void): void => {
      // Signal's own plain headers only; signatures are marked present, never shown, and custom
      // headers (which may carry credentials) are left out.
      span.attribute("http.request.method", webhook.method)
      span.attribute("url.full", to.origin + to.path)
      span.attribute("http.request.header.webhook-id", webhook.headers["webhook-id"])
      span.attribute("http.request.header.webhook-timestamp", webhook.headers["webhook-timestamp"])
      span.attribute("http.request.header.webhook-signature", "<redacted>")
      span.attribute("http.request.header.x-signal-signature", "<redacted>")
      if (to.refused !== null) return done(failure(to.refused))
      webhook.headers.traceparent = toTraceparent(span)
      const handler = new Exchange(webhook.timeoutMs, (result) => {
        if (result.response !== null) span.attribute("http.response.status_code", result.response.statusCode)
        done(result)
      })
      try {
        agent.dispatch(
          { origin: to.origin, path: to.path, method: webhook.method, headers: webhook.headers, body: webhook.body },
          handler
        )
      } catch (defect) {
        handler.onError(defect as Error)
      }
    }

    /** One request outside a delivery loop, in a span of its own. */
    const send = (webhook: WebhookRequest): Effect.Effect<SendResult> =>
      Effect.zip(target(webhook.url), Effect.orDie(Effect.currentSpan)).pipe(
        Effect.flatMap(([to, span]) =>
          Effect.async<SendResult>((resume) => exchange(to, webhook, span, (result) => resume(Effect.succeed(result))))
        ),
        Effect.withSpan(`http.client ${webhook.method}`, { kind: "client", captureStackTrace: false })
      )

    return { target, exchange, send } as const
  })
}) {}

