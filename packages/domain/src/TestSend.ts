import { Context, type Effect, Schema } from "effect"
import { AttemptResponse, AttemptStatus } from "./DeliveryAttempt"
import { DeliveryError } from "./DeliveryIntent"
import type { Destination } from "./Destination"
import { EventType } from "./Destination"
import { JsonPayload } from "./Event"
import { DestinationId, EventId } from "./Ids"
import { everyBodyProblem } from "./Problems"
import type { PreviousSecret } from "./SigningSecret"

export const DEFAULT_TEST_EVENT_TYPE = "signal.test"

/** The sender a test event names when its destination takes events of any sender. */
export const TEST_SENDER_ID = "snd_0000000000000000test"

/** A test send waits for the receiver at most this long, whatever the destination's own timeout. */
export const MAX_TEST_TIMEOUT_SECONDS = 30

/** What to send; by default a `signal.test` event with a small sample payload. */
export const TestSendRequest = Schema.Struct({
  eventType: Schema.optionalWith(EventType, { default: () => DEFAULT_TEST_EVENT_TYPE }),
  payload: Schema.optionalWith(JsonPayload, {
    default: () => ({ message: "This is a test event from Signal.", test: true })
  })
}).annotations(everyBodyProblem)
export type TestSendRequest = typeof TestSendRequest.Type

/** The attempt a test send made: nothing is stored, the receiver's answer is returned as it came. */
export class TestSendResult extends Schema.Class<TestSendResult>("TestSendResult")({
  destinationId: DestinationId,
  /** The sample event's id, in the body the receiver got. */
  eventId: EventId,
  eventType: Schema.String,
  /** The `webhook-id` header sent (a fresh one per test). */
  webhookId: Schema.String,
  url: Schema.String,
  status: AttemptStatus,
  durationMs: Schema.Number,
  response: Schema.NullOr(AttemptResponse),
  error: Schema.NullOr(DeliveryError),
  startedAt: Schema.DateTimeUtc,
  completedAt: Schema.DateTimeUtc
}) {}

/** One signed sample delivery to a destination, made at once (outside its queue, limits and circuit). */
export interface TestDelivery {
  readonly destination: Destination
  /** Replaced signing secrets: those still in their rotation grace sign too. */
  readonly previousSecrets: ReadonlyArray<PreviousSecret>
  readonly request: TestSendRequest
}

/** Sends test deliveries; the gateway asks, whatever holds an HTTP sender answers. */
export class TestSender extends Context.Tag("@signal/domain/TestSender")<TestSender, {
  readonly send: (delivery: TestDelivery) => Effect.Effect<TestSendResult>
}>() {}
