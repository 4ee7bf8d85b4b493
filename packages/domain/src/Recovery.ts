import { Schema } from "effect"
import { ApiTime } from "./ApiTime"
import { DestinationId, EventId, IntentId, RecoveryJobId, TenantId } from "./Ids"
import { everyBodyProblem } from "./Problems"

/** Finished intents a recovery may re-queue; open ones are already on their way and never touched. */
export const RecoverableStatus = Schema.Literal("failed", "succeeded")
export type RecoverableStatus = typeof RecoverableStatus.Type

/** The longest window one recovery may cover. */
export const MAX_RECOVERY_WINDOW_DAYS = 90

export const RecoverRequest = Schema.Struct({
  since: Schema.propertySignature(ApiTime).annotations({ description: "Intents created at or after this time (ISO 8601)." }),
  until: Schema.optional(ApiTime).annotations({
    description: "Intents created before this time (ISO 8601); default: when the recovery is asked for."
  }),
  status: Schema.optionalWith(
    Schema.Array(RecoverableStatus).pipe(Schema.minItems(1), Schema.maxItems(2)),
    { default: () => ["failed" as const] }
  ).annotations({ description: "Which finished intents to send again (default: failed only)." })
}).annotations(everyBodyProblem)
export type RecoverRequest = typeof RecoverRequest.Type

export const RecoveryState = Schema.Literal("queued", "running", "done")
export type RecoveryState = typeof RecoveryState.Type

/**
 * One recovery of a destination: re-queues its matching finished intents in batches (new attempts,
 * same `webhook-id`). `matched` is how many matched when it started; `requeued` how many it re-queued.
 */
export class RecoveryJob extends Schema.Class<RecoveryJob>("RecoveryJob")({
  id: RecoveryJobId,
  tenantId: TenantId,
  destinationId: DestinationId,
  since: Schema.DateTimeUtc,
  until: Schema.DateTimeUtc,
  status: Schema.Array(RecoverableStatus),
  state: RecoveryState,
  matched: Schema.NullOr(Schema.Number),
  requeued: Schema.Number,
  createdAt: Schema.DateTimeUtc,
  startedAt: Schema.NullOr(Schema.DateTimeUtc),
  finishedAt: Schema.NullOr(Schema.DateTimeUtc)
}) {}

export const ReplayRequest = Schema.Struct({
  destinationIds: Schema.optional(Schema.Array(DestinationId).pipe(Schema.minItems(1), Schema.maxItems(100))).annotations({
    description: "Where to deliver it again (default: every destination it was routed to)."
  })
}).annotations(everyBodyProblem)
export type ReplayRequest = typeof ReplayRequest.Type

/**
 * What a replay did per destination: re-queued the finished intent (same `webhook-id`), created one
 * for a destination the event never went to, or left an intent that is still on its way.
 */
export const ReplayAction = Schema.Literal("requeued", "created", "already_pending")
export type ReplayAction = typeof ReplayAction.Type

export const ReplayResult = Schema.Struct({
  eventId: EventId,
  deliveries: Schema.Array(Schema.Struct({
    destinationId: DestinationId,
    intentId: IntentId,
    action: ReplayAction
  }))
})
export type ReplayResult = typeof ReplayResult.Type
