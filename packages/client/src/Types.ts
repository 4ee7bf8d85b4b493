/**
 * Plain JSON shapes exchanged with the Signal API: exactly what the server sends (dates as ISO
 * strings, ids as strings). The records are the encoded side of the domain's schemas; the inputs
 * are read off the contract (`Operations`), so both follow it as it changes.
 */
import type * as Analytics from "@signal/domain/Analytics"
import type * as Key from "@signal/domain/ApiKey"
import type * as Attempt from "@signal/domain/DeliveryAttempt"
import type * as Intent from "@signal/domain/DeliveryIntent"
import type * as Dest from "@signal/domain/Destination"
import type * as Evt from "@signal/domain/Event"
import type * as Snd from "@signal/domain/Sender"
import type * as Ten from "@signal/domain/Tenant"
import type { Operations } from "./Operations"

export type { Many, Operations } from "./Operations"

export type Tenant = typeof Ten.Tenant.Encoded
export type Sender = typeof Snd.Sender.Encoded
export type Destination = typeof Dest.Destination.Encoded
/** A destination as lists show it: without the signing secret. */
export type DestinationListItem = typeof Dest.DestinationListItem.Encoded
export type Event = typeof Evt.Event.Encoded
export type DeliveryIntent = typeof Intent.DeliveryIntent.Encoded
export type DeliveryAttempt = typeof Attempt.DeliveryAttempt.Encoded
export type DeliveryAnalytics = typeof Analytics.DeliveryAnalytics.Encoded
/** A tenant API key as lists show it: never the key itself, only its `prefix`. */
export type ApiKey = typeof Key.ApiKey.Encoded
/** The answer to `apiKey.create`: the only time the plaintext `key` is shown. */
export type CreatedApiKey = typeof Key.CreatedApiKey.Encoded

export type EventStatus = Evt.EventStatus
export type IntentStatus = Intent.IntentStatus
export type AttemptStatus = Attempt.AttemptStatus
export type DestinationStatus = Dest.DestinationStatus
export type Order = "asc" | "desc"

export interface Page<A> {
  readonly items: ReadonlyArray<A>
  /** Pass as `cursor` to get the next page; `null` on the last page. */
  readonly nextCursor: string | null
  readonly hasMore: boolean
}

/** The input of `Operations[group][name]`. */
export type InputOf<G extends keyof Operations, M extends keyof Operations[G]> = Operations[G][M] extends
  readonly [infer I, unknown] ? I : never
/** The answer of `Operations[group][name]`. */
export type OutputOf<G extends keyof Operations, M extends keyof Operations[G]> = Operations[G][M] extends
  readonly [unknown, infer O] ? O : never

export type PageInput = InputOf<"apiKey", "list"> extends infer I ? Omit<I, "tenantId"> : never
export type UpsertTenantInput = InputOf<"tenant", "upsert">
export type UpsertSenderInput = InputOf<"sender", "upsert">
export type CreateDestinationInput = InputOf<"eventDestination", "create">
export type UpdateDestinationInput = InputOf<"eventDestination", "update">
export type ListDestinationsInput = InputOf<"eventDestination", "list">
export type DestinationPath = InputOf<"eventDestination", "get">
export type RotateSecretInput = InputOf<"eventDestination", "rotateSecret">
export type CreateEventInput = InputOf<"event", "create">
export type EventInput = Omit<CreateEventInput, "tenantId">
export type CreateEventBatchInput = InputOf<"event", "createBatch">
export type ListEventsInput = InputOf<"event", "list">
export type ListIntentsInput = InputOf<"eventDeliveryIntent", "list">
export type ListAttemptsInput = InputOf<"eventDeliveryAttempt", "list">
export type AnalyticsWindow = Omit<InputOf<"analytics", "tenant">, "tenantId">
