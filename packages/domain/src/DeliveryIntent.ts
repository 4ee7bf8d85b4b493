import { Schema } from "effect"
import { DestinationId, EventId, IntentId, TenantId } from "./Ids"
import { EventStatus } from "./Event"
import { ListParam, PageParams } from "./Pagination"
import { everyProblem } from "./Problems"

export const IntentStatus = Schema.Literal("pending", "retrying", "succeeded", "failed")
export type IntentStatus = typeof IntentStatus.Type

export const DeliveryError = Schema.Struct({
  code: Schema.String,
  message: Schema.String
})
export type DeliveryError = typeof DeliveryError.Type

export const EventSummary = Schema.Struct({
  id: EventId,
  type: Schema.String,
  topics: Schema.Array(Schema.String),
  status: EventStatus,
  createdAt: Schema.DateTimeUtc
})

export const DestinationSummary = Schema.Struct({
  id: DestinationId,
  name: Schema.String,
  webhook: Schema.Struct({ url: Schema.String })
})

export class DeliveryIntent extends Schema.Class<DeliveryIntent>("DeliveryIntent")({
  id: IntentId,
  tenantId: TenantId,
  eventId: EventId,
  destinationId: DestinationId,
  status: IntentStatus,
  attemptCount: Schema.Number,
  nextAttemptAt: Schema.NullOr(Schema.DateTimeUtc),
  lastAttemptAt: Schema.NullOr(Schema.DateTimeUtc),
  error: Schema.NullOr(DeliveryError),
  event: EventSummary,
  destination: DestinationSummary,
  createdAt: Schema.DateTimeUtc,
  updatedAt: Schema.DateTimeUtc
}) {}

export const ListIntentsParams = Schema.Struct({
  ...PageParams,
  eventIds: ListParam(EventId),
  destinationIds: ListParam(DestinationId),
  status: ListParam(IntentStatus)
}).annotations(everyProblem)
export type ListIntentsParams = typeof ListIntentsParams.Type
