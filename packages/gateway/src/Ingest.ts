import type { SqlError } from "@effect/sql/SqlError"
import { BadRequest, NotFound } from "@signal/domain/ApiError"
import { type CreateEvent, depthOf, MAX_PAYLOAD_DEPTH } from "@signal/domain/Event"
import type { DestinationId, SenderId, TenantId } from "@signal/domain/Ids"
import { currentTraceparent } from "@signal/domain/TraceContext"
import { hasLoneSurrogateEscape, loneSurrogateMessage } from "@signal/domain/UnicodeText"
import * as Database from "@signal/store/Database"
import { EventRepo, type EventDraft, type IngestRequest, type IngestResult } from "@signal/store/EventRepo"
import { IngestLoad } from "@signal/store/IngestLoad"
import type { AdoptedIntents } from "@signal/store/IntentAdoption"
import { SenderRepo } from "@signal/store/SenderRepo"
import { Cause, Chunk, Deferred, Effect, Metric, Option, Queue, Tracer } from "effect"
import { LocalDrains } from "./LocalDrains"
import { TenantGuard } from "./TenantGuard"
import { Waker } from "./Waker"

/** The payload as stored JSON text: `payloadJson` must parse, and exactly one form may be given. */
const payloadText = (input: CreateEvent, index: number): string | BadRequest => {
  const at = (message: string) => new BadRequest({ code: "invalid_payload", message, details: { index } })
  if (input.payloadJson !== undefined && input.payload !== undefined) {
    return at("give either payload or payloadJson, not both")
  }
  let value: unknown = input.payload ?? null
  if (input.payloadJson !== undefined) {
    try {
      value = JSON.parse(input.payloadJson)
    } catch {
      return at("payloadJson is not valid JSON")
    }
    // `payload` was checked by the schema already, and for lone surrogates with the whole body (`ApiErrors`);
    // JSON within JSON only now
    if (depthOf(value) > MAX_PAYLOAD_DEPTH) return at(`payload nests deeper than ${MAX_PAYLOAD_DEPTH} levels`)
    if (hasLoneSurrogateEscape(input.payloadJson)) return at(`payload ${loneSurrogateMessage}`)
  }
  // Re-serialised so that escapes Postgres cannot store (\u0000) are refused here, not at insert.
  const text = JSON.stringify(value)
  return text.includes("\\u0000") ? at("payload must not contain NUL characters") : text
}

/**
 * Every event of a request as a draft, or the first one's problem: one pass, no effect per event. Drafts
 * keep a payload as text only, so a request's parsed payloads are garbage once they exist.
 */
const draftsOf = (inputs: ReadonlyArray<CreateEvent>): Array<EventDraft> | BadRequest => {
  const drafts: Array<EventDraft> = new Array(inputs.length)
  for (let index = 0; index < inputs.length; index++) {
    const input = inputs[index]
    const payloadJson = payloadText(input, index)
    if (typeof payloadJson !== "string") return payloadJson
    drafts[index] = {
      senderId: input.senderId,
      type: input.eventType,
      topics: input.topics,
      onlyForDestinations: input.onlyForDestinations,
      payloadJson,
      headers: input.headers,
      idempotencyKey: input.idempotencyKey ?? null,
      orderingKey: input.orderingKey ?? null,
      ttlSeconds: input.ttlSeconds ?? null
    }
  }
  return drafts
}

/** Events accepted by `POST …/events` and `…/events/batch` (idempotent repeats included). */
export const eventsIngested = Metric.counter("signal_events_ingested_total", {
  description: "Events accepted for delivery",
  incremental: true
})

/** Single publishes committed together at most; more wait for the next commit. */
const MAX_GROUP = 256

/** Ingest transactions at once when the store has no ingest pool of its own. */
const SHARED_POOL_TRANSACTIONS = 4

/**
 * Group commits in flight at once. Fewer means larger groups under load (fewer statements per
 * publish); while one commits the next group gathers, so a lone publish never waits for a group.
 */
const GROUP_COMMITS = 2

/** Every destination that received intents in a group, once. */
const destinationsOf = (results: ReadonlyArray<IngestResult>) => {
  const all = new Set<DestinationId>()
  for (const result of results) for (const id of result.destinations) all.add(id)
  return all
}

/** A publish waiting for the next group commit. */
interface Pending {
  readonly request: IngestRequest
  readonly span: Option.Option<Tracer.AnySpan>
  readonly done: Deferred.Deferred<IngestResult, SqlError>
}

/**
 * SQLSTATE classes of failures that belong to one request's data rather than to the database
 * (connection, resources, operator intervention, system): a group that fails with one is retried
 * request by request, so only the offending request fails.
 */
const databaseClasses = new Set(["08", "53", "57", "58", "XX"])
const isRequestError = (cause: Cause.Cause<SqlError>) => {
  const failure = Cause.squash(cause) as { _tag?: string; cause?: { code?: unknown } }
  const code = failure?._tag === "SqlError" ? failure.cause?.code : undefined
  return typeof code === "string" && code.length === 5 && !databaseClasses.has(code.slice(0, 2))
}

export class Ingest extends Effect.Service<Ingest>()("@signal/gateway/Ingest", {
  dependencies: [TenantGuard.Default],
  scoped: Effect.gen(function*() {
    const guard = yield* TenantGuard
    const events = yield* EventRepo
    const senders = yield* SenderRepo
    const waker = yield* Waker
    const load = yield* IngestLoad
    const pool = yield* Effect.serviceOption(Database.IngestClient)
    // Never more transactions than connections: callers wait here, not in the pool (which times out).
    const permits = yield* Effect.makeSemaphore(
      Option.match(pool, { onNone: () => SHARED_POOL_TRANSACTIONS, onSome: (pool) => pool.connections })
    )
    const queue = yield* Queue.unbounded<Pending>()
    // In a process that also dispatches, fresh intents its drains have room for are leased to them as inserted.
    const drains = Option.getOrUndefined(yield* Effect.serviceOption(LocalDrains))
    const adoption = drains?.adoption

    /** After the commit: adopted intents go to their drains, and every other destination is woken. */
    const handOver = (results: ReadonlyArray<IngestResult>) => {
      let adopted: Array<AdoptedIntents> | undefined
      for (const result of results) {
        if (result.adopted.length > 0) (adopted ??= []).push(...result.adopted)
      }
      const wake = waker.wake(results.length === 1 ? results[0].destinations : destinationsOf(results))
      return adopted === undefined ? wake : Effect.zipRight(drains!.adopt(adopted), wake)
    }

    const requireSenders = (ids: ReadonlyArray<SenderId>) =>
      Effect.forEach(new Set(ids), (id) =>
        Effect.flatMap(senders.exists(id), (exists) => exists ? Effect.void : Effect.fail(NotFound.of("sender", id))), {
        discard: true
      })

    /**
     * One transaction for every publish in the group; each is answered after that commit, then the
     * group's destinations are woken. A group refused for one request's data is retried request by request.
     */
    const commit = (group: ReadonlyArray<Pending>): Effect.Effect<void> => {
      const first = group[0].span
      const traced = <A, E, R>(self: Effect.Effect<A, E, R>) =>
        group.length === 1 && Option.isSome(first)
          ? Effect.withParentSpan(self, first.value)
          : Effect.withSpan(self, "Ingest.commit", {
          captureStackTrace: false,
          attributes: { "signal.requests": group.length },
          links: group.flatMap(({ span }) =>
            Option.isSome(span) ? [{ _tag: "SpanLink" as const, span: span.value, attributes: {} }] : []
          )
        })
      return events.ingestAll(group.map((pending) => pending.request), adoption).pipe(
        permits.withPermits(1),
        traced,
        Effect.matchCauseEffect({
          // Answered first, then handed over: one wake per destination of the whole group.
          onSuccess: (results) =>
            Effect.zipRight(
              Effect.forEach(group, (pending, i) => Deferred.succeed(pending.done, results[i]), { discard: true }),
              handOver(results)
            ),
          onFailure: (cause) =>
            group.length > 1 && isRequestError(cause)
              ? Effect.forEach(group, (pending) => commit([pending]), { discard: true })
              : Effect.forEach(group, (pending) => Deferred.failCause(pending.done, cause), { discard: true })
        }),
        Effect.onInterrupt(() => Effect.forEach(group, (pending) => Deferred.interrupt(pending.done), { discard: true })),
        Effect.asVoid
      )
    }

    // Group commit: `GROUP_COMMITS` committers, each taking whatever queued up while it was busy. Long-lived
    // fibers rather than one forked per group: a group of one (light load) costs no fiber of its own.
    const committer = Effect.flatMap(Queue.takeBetween(queue, 1, MAX_GROUP), (chunk) => {
      const group = Chunk.toReadonlyArray(chunk)
      // A defect must neither stop the committer nor leave a publish waiting (a completed one stays as it is).
      return Effect.catchAllCause(commit(group), (cause) =>
        Effect.logError("group commit failed", cause).pipe(
          Effect.zipRight(Effect.forEach(group, (pending) => Deferred.failCause(pending.done, cause), { discard: true }))
        ))
    })
    for (let i = 0; i < GROUP_COMMITS; i++) yield* Effect.forkScoped(Effect.forever(committer))
    yield* Effect.addFinalizer(() =>
      Effect.flatMap(Queue.takeAll(queue), (left) => Effect.forEach(left, (pending) => Deferred.interrupt(pending.done)))
    )

    const write = (request: IngestRequest): Effect.Effect<IngestResult, SqlError> =>
      request.drafts.length === 1
        ? Effect.gen(function*() {
          const done = yield* Deferred.make<IngestResult, SqlError>()
          yield* Queue.offer(queue, { request, span: yield* Effect.option(Effect.currentSpan), done })
          return yield* Deferred.await(done)
        })
        // a batch is its own group
        : permits.withPermits(1)(events.ingest(request, adoption)).pipe(
          Effect.tap((result) => handOver([result]))
        )

    /**
     * Checks the tenant and senders, writes events + intents in one transaction (woken after it), answers
     * after commit. Its span is made with `withSpan`: `Effect.fn` captures a call-site stack on every
     * call, even when told not to.
     */
    const accept = (tenantId: TenantId, senderIds: ReadonlyArray<SenderId>, drafts: ReadonlyArray<EventDraft>) =>
      Effect.gen(function*() {
        yield* guard.require(tenantId)
        yield* requireSenders(senderIds)
        const result = yield* write({ tenantId, drafts, traceparent: yield* currentTraceparent })
        yield* Effect.annotateCurrentSpan({ "signal.events": drafts.length, "signal.intents": result.intentCount })
        yield* Metric.incrementBy(eventsIngested, drafts.length)
        return result.events
      }).pipe(Effect.withSpan("Ingest.publish", { captureStackTrace: false }))

    /**
     * `accept`, counted in the process's ingest load while in progress. The inputs become drafts first and
     * nothing after holds them: a batch's parsed payloads die young instead of being copied by every
     * scavenge until the answer.
     */
    const publish = (tenantId: TenantId, inputs: ReadonlyArray<CreateEvent>) => {
      const drafts = draftsOf(inputs)
      if (!Array.isArray(drafts)) return Effect.fail(drafts)
      const senderIds = inputs.map((input) => input.senderId)
      return Effect.suspend(() => {
        load.begin(drafts.length)
        return Effect.ensuring(accept(tenantId, senderIds, drafts), Effect.sync(() => load.end(drafts.length)))
      })
    }

    return { publish } as const
  })
}) {}
