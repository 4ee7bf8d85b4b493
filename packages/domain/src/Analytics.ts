import { Schema } from "effect"
import { ApiTime } from "./ApiTime"
import { DestinationId, TenantId } from "./Ids"
import { everyProblem } from "./Problems"

/** The time window of an analytics query: `[from, to)`, by default the last 24 hours. */
export const AnalyticsParams = Schema.Struct({
  from: Schema.optional(ApiTime).annotations({
    description: "Start of the window (inclusive), ISO 8601; default: 24 hours before `to`"
  }),
  to: Schema.optional(ApiTime).annotations({
    description: "End of the window (exclusive), ISO 8601; default: now"
  })
}).annotations(everyProblem)
export type AnalyticsParams = typeof AnalyticsParams.Type

const Count = Schema.NonNegativeInt

/**
 * Delivery figures for a tenant or one of its destinations. Deliveries are the intents created in the
 * window (one per event and matching destination); latencies are over the attempts started in it; the
 * queue is what is waiting now, whatever the window.
 */
export class DeliveryAnalytics extends Schema.Class<DeliveryAnalytics>("DeliveryAnalytics")({
  tenantId: TenantId,
  destinationId: Schema.NullOr(DestinationId),
  from: Schema.DateTimeUtc,
  to: Schema.DateTimeUtc,
  /** Events published in the window (for a destination: those routed to it). */
  events: Count,
  /** Deliveries (intents) created in the window. */
  deliveries: Count,
  succeeded: Count,
  failed: Count,
  /** Deliveries of the window still pending or retrying. */
  inProgress: Count,
  /** succeeded / (succeeded + failed); null while none finished. */
  successRate: Schema.NullOr(Schema.Number),
  /** Attempts made for the window's deliveries. */
  attempts: Count,
  /** Average attempts per delivery that was attempted at least once; null when none was. */
  attemptsPerDelivery: Schema.NullOr(Schema.Number),
  /** Attempt durations (milliseconds) over the attempts started in the window. */
  latencyMs: Schema.Struct({
    p50: Schema.NullOr(Schema.Number),
    p95: Schema.NullOr(Schema.Number)
  }),
  /** Waiting now: pending + retrying = depth. */
  queue: Schema.Struct({
    pending: Count,
    retrying: Count,
    depth: Count
  })
}) {}
