/** The API's JSON, typed from the contract's own schemas (type-only: nothing of Effect is bundled). */
import type { DeliveryAnalytics as AnalyticsSchema } from "@signal/domain/Analytics"
import type { DeliveryAttempt as AttemptSchema } from "@signal/domain/DeliveryAttempt"
import type { DeliveryIntent as IntentSchema } from "@signal/domain/DeliveryIntent"
import type { Destination as DestinationSchema, DestinationListItem as ListItemSchema } from "@signal/domain/Destination"
import type { Event as EventSchema } from "@signal/domain/Event"
import type { PageOf } from "@signal/domain/Pagination"
import type { Tenant as TenantSchema } from "@signal/domain/Tenant"
import type { Schema } from "effect"

export type Analytics = Schema.Schema.Encoded<typeof AnalyticsSchema>
export type Attempt = Schema.Schema.Encoded<typeof AttemptSchema>
export type Intent = Schema.Schema.Encoded<typeof IntentSchema>
export type Destination = Schema.Schema.Encoded<typeof DestinationSchema>
export type DestinationListItem = Schema.Schema.Encoded<typeof ListItemSchema>
export type SignalEvent = Schema.Schema.Encoded<typeof EventSchema>
export type Tenant = Schema.Schema.Encoded<typeof TenantSchema>
export type Page<A> = PageOf<A>

export interface Settings {
  /** e.g. `http://jaeger:16686/search?tags=…{eventId}…`; null when no trace UI is configured. */
  readonly traceUrlTemplate: string | null
}
