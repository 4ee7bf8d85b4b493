/**
 * Plain JSON shapes exchanged with the Signal API: exactly what the server sends (dates as ISO
 * strings, ids as strings), derived from the encoded side of the contract's schemas.
 */
import type * as Analytics from "@signal/domain/Analytics"
import type * as Key from "@signal/domain/ApiKey"
import type * as Attempt from "@signal/domain/DeliveryAttempt"
import type * as Intent from "@signal/domain/DeliveryIntent"
import type * as Dest from "@signal/domain/Destination"
import type * as Evt from "@signal/domain/Event"
import type * as Snd from "@signal/domain/Sender"
import type * as Ten from "@signal/domain/Tenant"

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

export interface DeletedDestination {
  readonly id: string
  readonly deleted: true
}

export interface EventBatchResult {
  readonly items: ReadonlyArray<Event>
}

/** One value or several. */
export type Many<A> = A | ReadonlyArray<A>

export interface PageInput {
  /** 1–200, default 20. */
  readonly limit?: number | undefined
  /** Default `desc` (newest first). */
  readonly order?: Order | undefined
  readonly cursor?: string | null | undefined
}

export interface TenantPath {
  readonly tenantId: string
}

export type UpsertTenantInput = typeof Ten.UpsertTenant.Encoded
export interface GetTenantInput extends TenantPath {}

export type UpsertSenderInput = typeof Snd.UpsertSender.Encoded
export interface GetSenderInput {
  readonly senderId: string
}

export type CreateDestinationInput = TenantPath & typeof Dest.CreateDestination.Encoded
export interface ListDestinationsInput extends TenantPath, PageInput {}
export interface DestinationPath extends TenantPath {
  readonly eventDestinationId: string
}
export type UpdateDestinationInput = DestinationPath & typeof Dest.UpdateDestination.Encoded
export interface RotateSecretInput extends DestinationPath {
  /** How long the old secret keeps signing next to the new one: 0–2592000, server default 86400. */
  readonly graceSeconds?: number | undefined
}

export type EventInput = typeof Evt.CreateEvent.Encoded
export type CreateEventInput = TenantPath & EventInput
export interface CreateEventBatchInput extends TenantPath {
  readonly events: ReadonlyArray<EventInput>
}
export interface GetEventInput extends TenantPath {
  readonly eventId: string
}
export interface ListEventsInput extends TenantPath, PageInput {
  readonly eventTypes?: Many<string> | undefined
  readonly topics?: Many<string> | undefined
  readonly senderIds?: Many<string> | undefined
  readonly status?: Many<EventStatus> | undefined
  /** ISO timestamp or `Date`. */
  readonly createdAfter?: string | Date | undefined
  readonly createdBefore?: string | Date | undefined
}

export interface ListIntentsInput extends TenantPath, PageInput {
  readonly eventIds?: Many<string> | undefined
  readonly destinationIds?: Many<string> | undefined
  readonly status?: Many<IntentStatus> | undefined
}
export interface IntentPath extends TenantPath {
  readonly eventDeliveryIntentId: string
}

export interface ListAttemptsInput extends TenantPath, PageInput {
  readonly eventIds?: Many<string> | undefined
  readonly intentIds?: Many<string> | undefined
  readonly destinationIds?: Many<string> | undefined
  readonly status?: Many<AttemptStatus> | undefined
}
export interface AttemptPath extends TenantPath {
  readonly eventDeliveryAttemptId: string
}

/** An analytics window `[from, to)`; by default the last 24 hours. */
export interface AnalyticsWindow {
  /** ISO timestamp or `Date`; default 24 hours before `to`. */
  readonly from?: string | Date | undefined
  /** ISO timestamp or `Date`; default now. */
  readonly to?: string | Date | undefined
}
export interface TenantAnalyticsInput extends TenantPath, AnalyticsWindow {}
export interface DestinationAnalyticsInput extends DestinationPath, AnalyticsWindow {}

export type CreateApiKeyInput = TenantPath & typeof Key.CreateApiKey.Encoded
export interface ListApiKeysInput extends TenantPath, PageInput {}
export interface ApiKeyPath extends TenantPath {
  readonly apiKeyId: string
}

/**
 * Every operation of the API as `input → output`; the Promise client and the Effect JSON client
 * are both derived from this one table.
 */
export interface Operations {
  readonly tenant: {
    readonly upsert: [UpsertTenantInput, Tenant]
    readonly get: [GetTenantInput, Tenant]
  }
  readonly sender: {
    readonly upsert: [UpsertSenderInput, Sender]
    readonly get: [GetSenderInput, Sender]
  }
  readonly eventDestination: {
    readonly create: [CreateDestinationInput, Destination]
    readonly list: [ListDestinationsInput, Page<DestinationListItem>]
    readonly get: [DestinationPath, Destination]
    readonly update: [UpdateDestinationInput, Destination]
    readonly delete: [DestinationPath, DeletedDestination]
    readonly rotateSecret: [RotateSecretInput, Destination]
  }
  readonly event: {
    readonly create: [CreateEventInput, Event]
    readonly createBatch: [CreateEventBatchInput, EventBatchResult]
    readonly get: [GetEventInput, Event]
    readonly list: [ListEventsInput, Page<Event>]
  }
  readonly eventDeliveryIntent: {
    readonly list: [ListIntentsInput, Page<DeliveryIntent>]
    readonly get: [IntentPath, DeliveryIntent]
    readonly retry: [IntentPath, DeliveryIntent]
  }
  readonly eventDeliveryAttempt: {
    readonly list: [ListAttemptsInput, Page<DeliveryAttempt>]
    readonly get: [AttemptPath, DeliveryAttempt]
  }
  readonly analytics: {
    readonly tenant: [TenantAnalyticsInput, DeliveryAnalytics]
    readonly destination: [DestinationAnalyticsInput, DeliveryAnalytics]
  }
  readonly apiKey: {
    readonly create: [CreateApiKeyInput, CreatedApiKey]
    readonly list: [ListApiKeysInput, Page<ApiKey>]
    readonly revoke: [ApiKeyPath, ApiKey]
  }
}
