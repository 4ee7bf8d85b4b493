import type { Destination } from "@signal/domain/Destination"
import { activeSecrets } from "@signal/domain/SigningSecret"
import type { ClaimedIntent } from "@signal/store/DeliveryQueue"
import type { DeliveryDestination } from "@signal/store/DestinationRepo"
import type { Array } from "effect"
import type { Target } from "./HttpSender"
import { signatureHeaders, type SigningKey, signingKey } from "./Signer"

export interface WebhookRequest {
  readonly url: string
  readonly method: Destination["variant"]["method"]
  readonly headers: Record<string, string>
  /** The body's bytes: encoded once, for the signatures and the request alike. */
  readonly body: Buffer
  readonly timeoutMs: number
}

/** What every request to one destination shares, worked out once per read of the destination, not per attempt. */
export interface RequestTemplate {
  readonly destination: Destination
  readonly target: Target
  /** The destination's custom headers, names in lower case. */
  readonly headers: Record<string, string>
  /** The keys to sign with at a time (epoch ms): the current secret's, then replaced ones still in their grace. */
  readonly keys: (atMs: number) => Array.NonEmptyReadonlyArray<SigningKey>
}

export const requestTemplate = (
  destination: Destination & Pick<DeliveryDestination, "previousSecrets">,
  target: Target
): RequestTemplate => {
  const current = destination.webhook.signingSecret
  const decoded = new Map([current, ...destination.previousSecrets.map((entry) => entry.secret)].map((secret) => [secret, signingKey(secret)]))
  const onlyCurrent = [decoded.get(current)!] as const
  return {
    destination,
    target,
    headers: withLowerCaseNames({}, destination.headers),
    keys: destination.previousSecrets.length === 0
      ? () => onlyCurrent
      : (atMs) => {
        const [first, ...rest] = activeSecrets(current, destination.previousSecrets, new Date(atMs))
        return [decoded.get(first)!, ...rest.map((secret) => decoded.get(secret)!)]
      }
  }
}

/**
 * The receiver's body (DESIGN §4) as the bytes sent. The payload is spliced in as stored, so its JSON
 * is not re-encoded, and written straight into the buffer with the parts around it: no joined copy
 * of the whole body as a string first.
 */
export const webhookBody = (claim: ClaimedIntent): Buffer => {
  const head = `{"id":${JSON.stringify(claim.eventId)},"type":${JSON.stringify(claim.event.type)},` +
    `"topics":${JSON.stringify(claim.event.topics)},"payload":`
  const tail = `,"tenantId":${JSON.stringify(claim.tenantId)},"senderId":${JSON.stringify(claim.event.senderId)},` +
    `"createdAt":"${claim.event.createdAt}"}`
  const payload = claim.event.payloadJson
  const headBytes = Buffer.byteLength(head)
  const payloadBytes = Buffer.byteLength(payload)
  const body = Buffer.allocUnsafe(headBytes + payloadBytes + Buffer.byteLength(tail))
  body.write(head, 0)
  body.write(payload, headBytes)
  body.write(tail, headBytes + payloadBytes)
  return body
}

/**
 * The signed request for one attempt made at `nowMs`. Signal's own headers come last so neither the
 * event's nor the destination's custom headers can forge a signature or an id; `webhook-id` is the
 * intent id, stable across retries.
 */
export const webhookRequest = (template: RequestTemplate, claim: ClaimedIntent, nowMs: number): WebhookRequest => {
  const body = webhookBody(claim)
  const destination = template.destination
  const headers = withLowerCaseNames({}, claim.event.headers)
  Object.assign(headers, template.headers)
  headers["content-type"] = "application/json"
  headers["user-agent"] = "Signal-Webhooks/0.1"
  Object.assign(
    headers,
    signatureHeaders({ keys: template.keys(nowMs), msgId: claim.intentId, timestampSeconds: Math.floor(nowMs / 1000), body })
  )
  return {
    url: destination.variant.url,
    method: destination.variant.method,
    timeoutMs: destination.timeoutSeconds * 1000,
    body,
    headers
  }
}

/** Copies `from` into `into` with header names in lower case; answers `into`. */
const withLowerCaseNames = (into: Record<string, string>, from: Readonly<Record<string, string>>) => {
  for (const name in from) into[name.toLowerCase()] = from[name]
  return into
}
