import { BadRequest, NotFound } from "@signal/domain/ApiError"
import { type CreateEvent, depthOf, MAX_PAYLOAD_DEPTH } from "@signal/domain/Event"
import type { SenderId, TenantId } from "@signal/domain/Ids"
import { EventRepo, type EventDraft } from "@signal/store/EventRepo"
import { SenderRepo } from "@signal/store/SenderRepo"
import { Effect, Metric, Option } from "effect"
import { TenantGuard } from "./TenantGuard"
import { Waker } from "./Waker"

/** The payload as stored JSON text: `payloadJson` must parse, and exactly one form may be given. */
const payloadText = (input: CreateEvent, index: number): Effect.Effect<string, BadRequest> => {
  const at = (message: string) =>
    new BadRequest({ code: "invalid_payload", message, details: { index } })
  if (input.payloadJson !== undefined && input.payload !== undefined) {
    return Effect.fail(at("give either payload or payloadJson, not both"))
  }
  const parsed = input.payloadJson === undefined
    ? Effect.succeed(input.payload ?? null)
    : Effect.try({
      try: () => JSON.parse(input.payloadJson!) as unknown,
      catch: () => at("payloadJson is not valid JSON")
    })
  return parsed.pipe(
    Effect.filterOrFail(
      (value) => depthOf(value) <= MAX_PAYLOAD_DEPTH,
      () => at(`payload nests deeper than ${MAX_PAYLOAD_DEPTH} levels`)
    ),
    // Re-serialised so that escapes Postgres cannot store (\u0000) are refused here, not at insert.
    Effect.flatMap((value) => {
      const text = JSON.stringify(value)
      return text.includes("\\u0000") ? Effect.fail(at("payload must not contain NUL characters")) : Effect.succeed(text)
    })
  )
}

/** Events accepted by `POST …/events` and `…/events/batch` (idempotent repeats included). */
export const eventsIngested = Metric.counter("signal_events_ingested_total", {
  description: "Events accepted for delivery",
  incremental: true
})

/** W3C traceparent of the ingest span, stored with each intent so later attempts join this trace. */
const currentTraceparent = Effect.map(
  Effect.option(Effect.currentSpan),
  Option.match({
    onNone: () => null,
    onSome: (span) => `00-${span.traceId}-${span.spanId}-${span.sampled ? "01" : "00"}`
  })
)

export class Ingest extends Effect.Service<Ingest>()("@signal/gateway/Ingest", {
  dependencies: [TenantGuard.Default],
  effect: Effect.gen(function*() {
    const guard = yield* TenantGuard
    const events = yield* EventRepo
    const senders = yield* SenderRepo
    const waker = yield* Waker

    const requireSenders = Effect.fn("Ingest.requireSenders")(function*(ids: ReadonlyArray<SenderId>) {
      for (const id of new Set(ids)) {
        if (Option.isNone(yield* senders.findById(id))) return yield* NotFound.of("sender", id)
      }
    })

    /** Validates, writes events + intents in one transaction, answers after commit, then wakes. */
    const publish = Effect.fn("Ingest.publish")(function*(tenantId: TenantId, inputs: ReadonlyArray<CreateEvent>) {
      yield* guard.require(tenantId)
      yield* requireSenders(inputs.map((input) => input.senderId))
      const traceparent = yield* currentTraceparent
      const drafts = yield* Effect.forEach(inputs, (input, index) =>
        Effect.map(payloadText(input, index), (payloadJson): EventDraft => ({
          senderId: input.senderId,
          type: input.eventType,
          topics: input.topics,
          onlyForDestinations: input.onlyForDestinations,
          payloadJson,
          headers: input.headers,
          idempotencyKey: input.idempotencyKey ?? null,
          ttlSeconds: input.ttlSeconds ?? null,
          traceparent
        })))
      const result = yield* events.ingest(tenantId, drafts)
      yield* Effect.annotateCurrentSpan({ "signal.events": inputs.length, "signal.intents": result.intentCount })
      yield* Metric.incrementBy(eventsIngested, inputs.length)
      yield* waker.wake(result.destinations)
      return result.events
    })

    return { publish } as const
  })
}) {}
