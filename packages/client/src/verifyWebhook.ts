/**
 * Verification of the deliveries Signal sends. Two schemes exist:
 *
 * * Standard Webhooks (the default, and the only scheme accepted unless asked otherwise):
 *   `webhook-id`, `webhook-timestamp` and `webhook-signature` (`v1,<base64 HMAC-SHA256 of
 *   "id.timestamp.body">`, keyed with the base64-decoded part of the `whsec_…` secret; several
 *   signatures separated by spaces during secret rotation). The timestamp must be within
 *   `toleranceSeconds` (default 5 minutes) of now, which defeats replays.
 * * `x-signal-signature`: hex HMAC-SHA256 of the exact body, keyed with the whole secret string.
 *   It signs no timestamp, so a captured delivery verifies again forever: a replay. Accept it only
 *   by opting in (`schemes: ["standard", "signal"]`), e.g. behind a proxy that drops `webhook-*`
 *   headers, and deduplicate by event id yourself.
 *
 * When the Standard Webhooks headers are present they decide alone: a delivery with a stale or
 * wrong Standard Webhooks signature is rejected even if `x-signal-signature` matches, so a replay
 * cannot fall back to the scheme without a timestamp.
 *
 * Only `node:crypto` is used; comparisons are constant-time.
 */
import { createHmac, timingSafeEqual } from "node:crypto"
import { Effect } from "effect"

export type WebhookHeaders =
  | Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
  | { readonly get: (name: string) => string | null }

export type WebhookScheme = "standard" | "signal"

export interface VerifyWebhookOptions {
  /** The raw request body, exactly as received (not re-serialised JSON). */
  readonly body: string | Uint8Array
  /** Node's `req.headers`, a plain record, or a fetch `Headers`. Names are case-insensitive. */
  readonly headers: WebhookHeaders
  /** The destination's signing secret, or several during rotation. */
  readonly secret: string | ReadonlyArray<string>
  /** Largest accepted distance between `webhook-timestamp` and now. Default 300. */
  readonly toleranceSeconds?: number | undefined
  /** Current time (`Date` or epoch milliseconds); defaults to the clock. */
  readonly now?: Date | number | undefined
  /**
   * Which schemes to accept. Default `["standard"]`, the timestamped one; add `"signal"` only where
   * Standard Webhooks headers cannot arrive, knowing it cannot tell a replay from a delivery.
   */
  readonly schemes?: ReadonlyArray<WebhookScheme> | undefined
}

export type WebhookVerificationFailure =
  | "no_secret"
  | "missing_signature"
  | "invalid_timestamp"
  | "timestamp_too_old"
  | "timestamp_too_new"
  | "signature_mismatch"

export type WebhookVerification =
  | { readonly ok: true; readonly scheme: WebhookScheme; readonly messageId: string | undefined; readonly timestamp: number | undefined }
  | { readonly ok: false; readonly reason: WebhookVerificationFailure; readonly scheme: WebhookScheme | undefined }

const SECRET_PREFIX = "whsec_"
const DEFAULT_TOLERANCE_SECONDS = 300
const DEFAULT_SCHEMES: ReadonlyArray<WebhookScheme> = ["standard"]

const headerReader = (headers: WebhookHeaders): ((name: string) => string | undefined) => {
  if (typeof (headers as { get?: unknown }).get === "function") {
    const fetchHeaders = headers as { readonly get: (name: string) => string | null }
    return (name) => fetchHeaders.get(name) ?? undefined
  }
  const lower = new Map<string, string>()
  for (const [key, value] of Object.entries(headers as Record<string, string | ReadonlyArray<string> | undefined>)) {
    if (value === undefined) continue
    const text = typeof value === "string" ? value : value.join(" ")
    const name = key.toLowerCase()
    const previous = lower.get(name)
    lower.set(name, previous === undefined ? text : `${previous} ${text}`)
  }
  return (name) => lower.get(name)
}

const bodyBytes = (body: string | Uint8Array): Buffer =>
  typeof body === "string" ? Buffer.from(body, "utf8") : Buffer.from(body.buffer, body.byteOffset, body.byteLength)

/** Standard Webhooks keys the HMAC with the bytes the base64 part of `whsec_…` decodes to. */
const standardKey = (secret: string): Buffer =>
  Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, "base64")

const equalBytes = (a: Buffer, b: Buffer): boolean => a.length === b.length && timingSafeEqual(a, b)

const verifyStandard = (
  options: {
    readonly id: string
    readonly timestamp: string
    readonly signatures: string
    readonly body: Buffer
    readonly secrets: ReadonlyArray<string>
    readonly nowSeconds: number
    readonly toleranceSeconds: number
  }
): WebhookVerification => {
  if (!/^\d{1,15}$/.test(options.timestamp.trim())) return { ok: false, reason: "invalid_timestamp", scheme: "standard" }
  const timestamp = Number(options.timestamp.trim())
  if (options.nowSeconds - timestamp > options.toleranceSeconds) {
    return { ok: false, reason: "timestamp_too_old", scheme: "standard" }
  }
  if (timestamp - options.nowSeconds > options.toleranceSeconds) {
    return { ok: false, reason: "timestamp_too_new", scheme: "standard" }
  }
  const candidates: Array<Buffer> = []
  for (const part of options.signatures.split(/\s+/)) {
    const comma = part.indexOf(",")
    if (comma < 0 || part.slice(0, comma) !== "v1") continue
    candidates.push(Buffer.from(part.slice(comma + 1), "base64"))
  }
  if (candidates.length === 0) return { ok: false, reason: "missing_signature", scheme: "standard" }
  const signed = Buffer.concat([Buffer.from(`${options.id}.${timestamp}.`, "utf8"), options.body])
  for (const secret of options.secrets) {
    const expected = createHmac("sha256", standardKey(secret)).update(signed).digest()
    for (const candidate of candidates) {
      if (equalBytes(candidate, expected)) return { ok: true, scheme: "standard", messageId: options.id, timestamp }
    }
  }
  return { ok: false, reason: "signature_mismatch", scheme: "standard" }
}

const verifySignal = (header: string, body: Buffer, secrets: ReadonlyArray<string>): WebhookVerification => {
  const candidates = header
    .split(/[\s,]+/)
    .map((part) => part.replace(/^sha256=/i, ""))
    .filter((part) => /^[0-9a-fA-F]{64}$/.test(part))
    .map((part) => Buffer.from(part, "hex"))
  if (candidates.length === 0) return { ok: false, reason: "missing_signature", scheme: "signal" }
  for (const secret of secrets) {
    const expected = createHmac("sha256", Buffer.from(secret, "utf8")).update(body).digest()
    for (const candidate of candidates) {
      if (equalBytes(candidate, expected)) return { ok: true, scheme: "signal", messageId: undefined, timestamp: undefined }
    }
  }
  return { ok: false, reason: "signature_mismatch", scheme: "signal" }
}

/** Verifies a delivery and says which scheme matched or why it was refused. */
export const inspectWebhook = (options: VerifyWebhookOptions): WebhookVerification => {
  const secrets = (typeof options.secret === "string" ? [options.secret] : options.secret).filter(
    (secret) => typeof secret === "string" && secret.length > 0
  )
  if (secrets.length === 0) return { ok: false, reason: "no_secret", scheme: undefined }
  const schemes = options.schemes ?? DEFAULT_SCHEMES
  const header = headerReader(options.headers)
  const body = bodyBytes(options.body)

  const id = header("webhook-id")
  const timestamp = header("webhook-timestamp")
  const signatures = header("webhook-signature")
  if (schemes.includes("standard") && id !== undefined && timestamp !== undefined && signatures !== undefined) {
    const nowMs = options.now === undefined ? Date.now() : typeof options.now === "number" ? options.now : options.now.getTime()
    return verifyStandard({
      id,
      timestamp,
      signatures,
      body,
      secrets,
      nowSeconds: Math.floor(nowMs / 1000),
      toleranceSeconds: options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS
    })
  }
  const signal = header("x-signal-signature")
  if (schemes.includes("signal") && signal !== undefined) return verifySignal(signal, body, secrets)
  return { ok: false, reason: "missing_signature", scheme: undefined }
}

/** `true` when the delivery carries a valid signature from one of the secrets. */
export const verifyWebhook = (options: VerifyWebhookOptions): boolean => inspectWebhook(options).ok

export class WebhookVerificationError extends Error {
  readonly _tag = "WebhookVerificationError" as const
  readonly reason: WebhookVerificationFailure

  constructor(reason: WebhookVerificationFailure) {
    super(`webhook verification failed: ${reason.replace(/_/g, " ")}`)
    this.name = "WebhookVerificationError"
    this.reason = reason
  }
}

/** Throws a `WebhookVerificationError` unless the delivery verifies; returns the parsed JSON body. */
export const assertWebhook = <A = unknown>(options: VerifyWebhookOptions): A => {
  const result = inspectWebhook(options)
  if (!result.ok) throw new WebhookVerificationError(result.reason)
  return JSON.parse(typeof options.body === "string" ? options.body : bodyBytes(options.body).toString("utf8")) as A
}

/** The Effect variant: succeeds with the matching scheme or fails with `WebhookVerificationError`. */
export const verifyWebhookEffect = (options: VerifyWebhookOptions): Effect.Effect<WebhookScheme, WebhookVerificationError> =>
  Effect.suspend(() => {
    const result = inspectWebhook(options)
    return result.ok ? Effect.succeed(result.scheme) : Effect.fail(new WebhookVerificationError(result.reason))
  })
