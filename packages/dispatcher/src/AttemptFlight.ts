import type { Destination } from "@signal/domain/Destination"
import { makeId } from "@signal/domain/Ids"
import { fromTraceparent } from "@signal/domain/TraceContext"
import type { AttemptOutcome, ClaimedIntent } from "@signal/store/DeliveryQueue"
import { type Clock, Context, Effect, Option, type Tracer } from "effect"
import type { SendResult } from "./HttpSender"
import { nextAttemptAt } from "./RetrySchedule"

/** One attempt: its request out, or its answer (or the lack of one) in. */
export interface Flight {
  readonly claim: ClaimedIntent
  readonly destination: Destination
  /** `Delivery.attempt`, ended once the outcome is known. */
  readonly span: Tracer.Span
  /** The HTTP client span; `null` when no request was made (the event expired first). */
  readonly httpSpan: Tracer.Span | null
  readonly startedAt: number
  /** Set with `result` when the answer (or its lack) is in; until then they hold placeholders. */
  completedAt: number
  result: SendResult
}

export const expiredResult: SendResult = {
  ok: false,
  response: null,
  error: { code: "expired", message: "the event's ttl ended before delivery" }
}

const noLinks: ReadonlyArray<Tracer.SpanLink> = []
const attemptOptions: Tracer.SpanOptions = { kind: "consumer", captureStackTrace: false }
const rootAttemptOptions: Tracer.SpanOptions = { ...attemptOptions, root: true }
const httpOptions: Tracer.SpanOptions = { kind: "client", captureStackTrace: false }

/**
 * The attempt's span: a child of the trace its event was published in, when it was. Made by the
 * tracer itself, as the HTTP span below: `Effect.makeSpan` copies the fiber's refs for every span
 * (7 % of what a delivery allocated), and there are two per delivery.
 */
export const attemptSpan = (tracer: Tracer.Tracer, clock: Clock.Clock, claim: ClaimedIntent): Tracer.Span => {
  // A stored traceparent: an attempt made much later, anywhere, still joins the publish's trace.
  const parent = fromTraceparent(claim.traceparent)
  const span = tracer.span(
    "Delivery.attempt",
    parent,
    Context.empty(),
    noLinks,
    clock.unsafeCurrentTimeNanos(),
    "consumer",
    Option.isNone(parent) ? rootAttemptOptions : attemptOptions
  )
  span.attribute("signal.event_id", claim.eventId)
  span.attribute("signal.event_type", claim.event.type)
  span.attribute("signal.destination_id", claim.destinationId)
  span.attribute("signal.intent_id", claim.intentId)
  span.attribute("signal.attempt_number", claim.attemptNumber)
  return span
}

/** The attempt's HTTP client span, a child of its attempt span. */
export const httpSpan = (tracer: Tracer.Tracer, clock: Clock.Clock, destination: Destination, parent: Tracer.Span) =>
  tracer.span(
    `http.client ${destination.variant.method}`,
    Option.some(parent),
    Context.empty(),
    noLinks,
    clock.unsafeCurrentTimeNanos(),
    "client",
    httpOptions
  )

/** What follows a successful attempt: nothing. */
export const succeededNext: AttemptOutcome["next"] = { status: "succeeded" }
const failedNext: AttemptOutcome["next"] = { status: "failed" }
const expiredNext: AttemptOutcome["next"] = { status: "expired" }

/** The attempt's outcome as the writer stores it. */
export const outcomeOf = (flight: Flight, next: AttemptOutcome["next"]): AttemptOutcome => ({
  claim: flight.claim,
  attemptId: makeId.attempt(),
  succeeded: flight.result.ok,
  response: flight.result.response,
  error: flight.result.error,
  startedAt: new Date(flight.startedAt),
  completedAt: new Date(flight.completedAt),
  next
})

/**
 * A failed attempt's outcome: the destination's retry schedule says when; a next attempt past the
 * event's ttl is none, and the intent ends `expired`.
 */
export const failedOutcomeOf = (flight: Flight): Effect.Effect<AttemptOutcome> => {
  const expiresAt = flight.claim.event.expiresAt
  return Effect.map(
    nextAttemptAt(flight.destination.retry, flight.claim.attemptNumber, new Date(flight.completedAt)),
    (retryAt) =>
      outcomeOf(
        flight,
        retryAt === null
          ? failedNext
          : expiresAt !== null && retryAt > expiresAt
          ? expiredNext
          : { status: "retrying", at: retryAt }
      )
  )
}
