import { Schema } from "effect"
import { AttemptId, DestinationId, EventId, IntentId, TenantId } from "./Ids"
import { DeliveryError, IntentStatus } from "./DeliveryIntent"
import { ListParam, PageParams } from "./Pagination"
import { everyProblem } from "./Problems"

export const AttemptStatus = Schema.Literal("succeeded", "failed")
export type AttemptStatus = typeof AttemptStatus.Type

/** The receiver's answer; the body is capped when stored. */
export const AttemptResponse = Schema.Struct({
  statusCode: Schema.Number,
  body: Schema.String,
  headers: Schema.Record({ key: Schema.String, value: Schema.String })
})
export type AttemptResponse = typeof AttemptResponse.Type

export class DeliveryAttempt extends Schema.Class<DeliveryAttempt>("DeliveryAttempt")({
  id: AttemptId,
  tenantId: TenantId,
  intentId: IntentId,
  eventId: EventId,
  destinationId: DestinationId,
  attemptNumber: Schema.Number,
  status: AttemptStatus,
  durationMs: Schema.Number,
  response: Schema.NullOr(AttemptResponse),
  error: Schema.NullOr(DeliveryError),
  startedAt: Schema.DateTimeUtc,
  completedAt: Schema.DateTimeUtc,
  intent: Schema.Struct({
    id: IntentId,
    status: IntentStatus,
    attemptCount: Schema.Number
  })
}) {}

export const ListAttemptsParams = Schema.Struct({
  ...PageParams,
  eventIds: ListParam(EventId),
  intentIds: ListParam(IntentId),
  destinationIds: ListParam(DestinationId),
  status: ListParam(AttemptStatus)
}).annotations(everyProblem)
export type ListAttemptsParams = typeof ListAttemptsParams.Type
