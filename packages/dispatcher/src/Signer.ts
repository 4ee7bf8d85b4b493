/**
 * Signing of a webhook body (DESIGN §4): our own `x-signal-signature` plus the Standard Webhooks
 * headers, so receivers can verify with either our client or any Standard Webhooks library.
 */
import type { Array as Arr } from "effect"
import { createHmac } from "node:crypto"

const secretPrefix = "whsec_"

/** What is signed: text (as UTF-8) or the very bytes sent. */
type Signed = string | Uint8Array

/** `x-signal-signature`: hex HMAC-SHA256 of the exact body, keyed with the whole secret string (as UTF-8). */
export const signalSignature = (secret: string | Uint8Array, body: Signed): string =>
  createHmac("sha256", secret).update(body).digest("hex")

// Standard Webhooks keys the HMAC with the decoded bytes after the prefix, not the text.
const standardKey = (secret: string): Buffer =>
  Buffer.from(secret.startsWith(secretPrefix) ? secret.slice(secretPrefix.length) : secret, "base64")

/** A secret with both its keys decoded, so a destination's keys are decoded once, not per request. */
export interface SigningKey {
  /** Signal's key: the whole secret string. */
  readonly signal: Buffer
  /** The Standard Webhooks key. */
  readonly standard: Buffer
}

export const signingKey = (secret: string): SigningKey => ({ signal: Buffer.from(secret), standard: standardKey(secret) })

const signStandard = (key: Buffer, msgId: string, timestampSeconds: number, body: Signed): string =>
  "v1," + createHmac("sha256", key).update(`${msgId}.${timestampSeconds}.`).update(body).digest("base64")

/** One Standard Webhooks signature: `v1,` + base64 HMAC-SHA256 of `id.timestamp.body`. */
export const standardSignature = (secret: string, msgId: string, timestampSeconds: number, body: Signed): string =>
  signStandard(standardKey(secret), msgId, timestampSeconds, body)

export interface SignatureHeaders {
  readonly "x-signal-signature": string
  readonly "webhook-id": string
  readonly "webhook-timestamp": string
  readonly "webhook-signature": string
}

/**
 * All signature headers for one delivery. `keys` is the current secret first, then previous
 * ones still in their rotation grace period; non-empty by type so a delivery is never unsigned.
 */
export const signatureHeaders = (options: {
  readonly keys: Arr.NonEmptyReadonlyArray<SigningKey>
  readonly msgId: string
  readonly timestampSeconds: number
  /** The bytes sent (or their text): encoded once for every signature. */
  readonly body: Signed
}): SignatureHeaders => {
  const { body, keys, msgId, timestampSeconds } = options
  // Receivers accept the message if any one signature matches, which is what makes rotation safe.
  let standard = signStandard(keys[0].standard, msgId, timestampSeconds, body)
  for (let i = 1; i < keys.length; i++) standard += " " + signStandard(keys[i].standard, msgId, timestampSeconds, body)
  return {
    "x-signal-signature": signalSignature(keys[0].signal, body),
    "webhook-id": msgId,
    "webhook-timestamp": String(timestampSeconds),
    "webhook-signature": standard
  }
}
