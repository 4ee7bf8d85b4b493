import type { Destination } from "@signal/domain/Destination"
import type { ClaimedIntent } from "@signal/store/DeliveryQueue"
import { Array } from "effect"
import { signatureHeaders } from "./Signer"

export interface WebhookRequest {
  readonly url: string
  readonly method: Destination["variant"]["method"]
  readonly headers: Record<string, string>
  readonly body: string
  readonly timeoutMs: number
}

/** The receiver's body (DESIGN §4); the payload is spliced in as stored so its JSON is not re-encoded. */
export const webhookBody = (claim: ClaimedIntent): string =>
  `{"id":${JSON.stringify(claim.eventId)},"type":${JSON.stringify(claim.event.type)},` +
  `"topics":${JSON.stringify(claim.event.topics)},"payload":${claim.event.payloadJson},` +
  `"tenantId":${JSON.stringify(claim.tenantId)},"senderId":${JSON.stringify(claim.event.senderId)},` +
  `"createdAt":${JSON.stringify(claim.event.createdAt.toISOString())}}`

/**
 * The signed request for one attempt. Signal's own headers come last so neither the event's nor the
 * destination's custom headers can forge a signature or an id; `webhook-id` is the intent id, stable
 * across retries.
 */
export const webhookRequest = (
  destination: Destination,
  secrets: Array.NonEmptyReadonlyArray<string>,
  claim: ClaimedIntent,
  now: Date
): WebhookRequest => {
  const body = webhookBody(claim)
  return {
    url: destination.variant.url,
    method: destination.variant.method,
    timeoutMs: destination.timeoutSeconds * 1000,
    body,
    headers: {
      ...lowerCaseKeys(claim.event.headers),
      ...lowerCaseKeys(destination.headers),
      "content-type": "application/json",
      "user-agent": "Signal-Webhooks/0.1",
      ...signatureHeaders({
        secrets,
        msgId: claim.intentId,
        timestampSeconds: Math.floor(now.getTime() / 1000),
        body
      })
    }
  }
}

const lowerCaseKeys = (headers: Record<string, string>) =>
  Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]))
