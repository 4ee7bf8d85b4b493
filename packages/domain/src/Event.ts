import { Schema } from "effect"
import { ApiTime } from "./ApiTime"
import { EventType, Topic } from "./Destination"
import { CustomHeaders } from "./Headers"
import { DestinationId, EventId, SenderId, TenantId } from "./Ids"
import { ListParam, PageParams } from "./Pagination"
import { everyBodyProblem, everyProblem } from "./Problems"

/** pending while any delivery is unfinished; then succeeded, failed or partially_failed. */
export const EventStatus = Schema.Literal("pending", "succeeded", "failed", "partially_failed")
export type EventStatus = typeof EventStatus.Type

export const MAX_BATCH_EVENTS = 1000
export const MAX_PAYLOAD_DEPTH = 32

/** How deeply a JSON value nests (stops counting past the limit). */
export const depthOf = (value: unknown, depth = 0): number => {
  if (depth > MAX_PAYLOAD_DEPTH || value === null || typeof value !== "object") return depth
  let max = depth
  for (const child of Object.values(value)) max = Math.max(max, depthOf(child, depth + 1))
  return max
}

export const JsonPayload = Schema.Unknown.pipe(
  Schema.filter((value) => depthOf(value) <= MAX_PAYLOAD_DEPTH || `nests deeper than ${MAX_PAYLOAD_DEPTH} levels`)
)

export class Event extends Schema.Class<Event>("Event")({
  id: EventId,
  tenantId: TenantId,
  senderId: SenderId,
  type: Schema.String,
  topics: Schema.Array(Schema.String),
  payload: Schema.Unknown,
  headers: Schema.Record({ key: Schema.String, value: Schema.String }),
  idempotencyKey: Schema.NullOr(Schema.String),
  orderingKey: Schema.NullOr(Schema.String),
  status: EventStatus,
  destinationCount: Schema.Number,
  successCount: Schema.Number,
  failureCount: Schema.Number,
  expiresAt: Schema.NullOr(Schema.DateTimeUtc),
  createdAt: Schema.DateTimeUtc
}) {}

export const CreateEvent = Schema.Struct({
  senderId: SenderId,
  eventType: EventType,
  topics: Schema.optionalWith(Schema.Array(Topic).pipe(Schema.maxItems(100)), { default: () => [] }),
  /** The payload as a JSON string (the established client shape) … */
  payloadJson: Schema.optional(Schema.String),
  /** … or as JSON directly. */
  payload: Schema.optional(JsonPayload),
  headers: Schema.optionalWith(CustomHeaders, { default: () => ({}) }),
  onlyForDestinations: Schema.optional(Schema.NullOr(Schema.Array(DestinationId).pipe(Schema.maxItems(1000)))),
  idempotencyKey: Schema.optional(Schema.NullOr(Schema.String.pipe(Schema.minLength(1), Schema.maxLength(255)))),
  /** At a `fifo` destination, events with the same key are delivered in publish order. */
  orderingKey: Schema.optional(Schema.NullOr(Schema.String.pipe(Schema.minLength(1), Schema.maxLength(255)))),
  ttlSeconds: Schema.optional(Schema.NullOr(Schema.Number.pipe(Schema.int(), Schema.between(1, 60 * 60 * 24 * 90))))
}).annotations(everyBodyProblem)
export type CreateEvent = typeof CreateEvent.Type

export const CreateEventBatch = Schema.Struct({
  events: Schema.Array(CreateEvent).pipe(Schema.minItems(1), Schema.maxItems(MAX_BATCH_EVENTS))
}).annotations(everyBodyProblem)
export type CreateEventBatch = typeof CreateEventBatch.Type

export const EventBatchResult = Schema.Struct({
  items: Schema.Array(Event)
})

export const ListEventsParams = Schema.Struct({
  ...PageParams,
  eventTypes: ListParam(Schema.String),
  topics: ListParam(Schema.String),
  senderIds: ListParam(SenderId),
  status: ListParam(EventStatus),
  createdAfter: Schema.optional(ApiTime),
  createdBefore: Schema.optional(ApiTime)
}).annotations(everyProblem)
export type ListEventsParams = typeof ListEventsParams.Type
