import { Schema } from "effect"
import { CustomHeaders } from "./Headers"
import { DestinationId, SenderId, TenantId } from "./Ids"
import { RetryPolicy } from "./RetryPolicy"
import { patternProblem } from "./Routing"
import { Name } from "./Tenant"
import { everyBodyProblem } from "./Problems"

export const HttpMethod = Schema.Literal("GET", "POST", "PUT", "PATCH", "DELETE")
export type HttpMethod = typeof HttpMethod.Type

/** http(s) URL without credentials; private-network targets are refused at delivery time, not here. */
export const WebhookUrl = Schema.String.pipe(
  Schema.maxLength(2048),
  Schema.filter((value) => {
    let url: URL
    try {
      url = new URL(value)
    } catch {
      return "must be an absolute http(s) URL"
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") return "URL scheme must be http or https"
    if (url.username !== "" || url.password !== "") return "URL must not contain credentials"
    return true
  })
)

export const HttpEndpointVariant = Schema.Struct({
  type: Schema.Literal("http_endpoint"),
  url: WebhookUrl,
  method: Schema.optionalWith(HttpMethod, { default: () => "POST" as const })
})

export const EventType = Schema.String.pipe(Schema.minLength(1), Schema.maxLength(200))
export const Topic = Schema.String.pipe(Schema.minLength(1), Schema.maxLength(200))

/** What a destination subscribes to: a name, or a pattern with `*` segments (see `Routing`). */
const Pattern = <A extends string, I, R>(self: Schema.Schema<A, I, R>, description: string) =>
  self.pipe(Schema.filter((value) => patternProblem(value) ?? true, { description, jsonSchema: {} }))
export const EventTypePattern = Pattern(
  EventType,
  "An event type, or a pattern where `*` stands for one segment (`payment.*.failed`); a trailing `*` " +
    "for one or more (`payment.*`), so `*` alone matches every type."
)
export const TopicPattern = Pattern(Topic, "A topic, or a pattern with `*` segments like event types.")

export const CircuitState = Schema.Literal("closed", "open", "half_open")
export type CircuitState = typeof CircuitState.Type

/**
 * `fifo`: one intent at a time per ordering key, in publish order; the next waits until the one
 * before it succeeded or finally failed, retries included. Events without a key share one order.
 */
export const DeliveryOrdering = Schema.Literal("none", "fifo")
export type DeliveryOrdering = typeof DeliveryOrdering.Type

export const DestinationStatus = Schema.Literal("active", "disabled")
export type DestinationStatus = typeof DestinationStatus.Type

export class Destination extends Schema.Class<Destination>("Destination")({
  id: DestinationId,
  tenantId: TenantId,
  senderId: Schema.NullOr(SenderId),
  name: Schema.String,
  description: Schema.NullOr(Schema.String),
  eventTypes: Schema.NullOr(Schema.Array(Schema.String)),
  topics: Schema.Array(Schema.String),
  retry: RetryPolicy,
  variant: Schema.Struct({
    type: Schema.Literal("http_endpoint"),
    url: Schema.String,
    method: HttpMethod
  }),
  headers: Schema.Record({ key: Schema.String, value: Schema.String }),
  timeoutSeconds: Schema.Number,
  maxConcurrency: Schema.Number,
  rateLimitPerSecond: Schema.NullOr(Schema.Number),
  ordering: DeliveryOrdering,
  active: Schema.Boolean,
  status: DestinationStatus,
  disabledReason: Schema.NullOr(Schema.String),
  circuit: Schema.Struct({
    state: CircuitState,
    consecutiveFailures: Schema.Number,
    openedAt: Schema.NullOr(Schema.DateTimeUtc)
  }),
  webhook: Schema.Struct({
    url: Schema.String,
    signingSecret: Schema.String
  }),
  createdAt: Schema.DateTimeUtc,
  updatedAt: Schema.DateTimeUtc
}) {}

const TimeoutSeconds = Schema.Number.pipe(Schema.int(), Schema.between(1, 300))
const MaxConcurrency = Schema.Number.pipe(Schema.int(), Schema.between(1, 1000))
const RateLimit = Schema.NullOr(Schema.Number.pipe(Schema.int(), Schema.between(1, 100_000)))
const Description = Schema.NullOr(Schema.String.pipe(Schema.maxLength(2000)))
const EventTypes = Schema.NullOr(Schema.Array(EventTypePattern).pipe(Schema.maxItems(100)))
const Topics = Schema.Array(TopicPattern).pipe(Schema.maxItems(100))

export const CreateDestination = Schema.Struct({
  senderId: Schema.optionalWith(Schema.NullOr(SenderId), { default: () => null }),
  name: Name,
  description: Schema.optionalWith(Description, { default: () => null }),
  eventTypes: Schema.optionalWith(EventTypes, { default: () => null }),
  topics: Schema.optionalWith(Topics, { default: () => [] }),
  retry: Schema.optional(RetryPolicy),
  variant: HttpEndpointVariant,
  headers: Schema.optionalWith(CustomHeaders, { default: () => ({}) }),
  timeoutSeconds: Schema.optionalWith(TimeoutSeconds, { default: () => 30 }),
  maxConcurrency: Schema.optionalWith(MaxConcurrency, { default: () => 10 }),
  rateLimitPerSecond: Schema.optionalWith(RateLimit, { default: () => null }),
  ordering: Schema.optionalWith(DeliveryOrdering, { default: () => "none" as const }),
  active: Schema.optionalWith(Schema.Boolean, { default: () => true })
}).annotations(everyBodyProblem)
export type CreateDestination = typeof CreateDestination.Type

/** Partial update: absent fields stay as they are; `eventTypes: null` means all types. */
export const UpdateDestination = Schema.Struct({
  senderId: Schema.optional(Schema.NullOr(SenderId)),
  name: Schema.optional(Name),
  description: Schema.optional(Description),
  eventTypes: Schema.optional(EventTypes),
  topics: Schema.optional(Topics),
  retry: Schema.optional(RetryPolicy),
  variant: Schema.optional(HttpEndpointVariant),
  headers: Schema.optional(CustomHeaders),
  timeoutSeconds: Schema.optional(TimeoutSeconds),
  maxConcurrency: Schema.optional(MaxConcurrency),
  rateLimitPerSecond: Schema.optional(RateLimit),
  ordering: Schema.optional(DeliveryOrdering),
  active: Schema.optional(Schema.Boolean)
}).annotations(everyBodyProblem)
export type UpdateDestination = typeof UpdateDestination.Type

export const DEFAULT_ROTATION_GRACE_SECONDS = 86_400

/**
 * Rotation: the old secret keeps signing (next to the new one) for `graceSeconds`; 0 ends it at once,
 * and with it every earlier secret still in its grace.
 */
export const RotateSecret = Schema.Struct({
  graceSeconds: Schema.optionalWith(Schema.Number.pipe(Schema.int(), Schema.between(0, 30 * 86_400)), {
    default: () => DEFAULT_ROTATION_GRACE_SECONDS
  })
}).annotations(everyBodyProblem)
export type RotateSecret = typeof RotateSecret.Type

/**
 * A destination as lists show it: without the signing secret, which only create, get, update and
 * rotate-secret return (to the destination's own tenant or the admin).
 */
export const DestinationListItem = Schema.Struct({
  ...Destination.fields,
  webhook: Schema.Struct({ url: Schema.String })
})
