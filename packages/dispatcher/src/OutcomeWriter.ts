import type { SqlError } from "@effect/sql/SqlError"
import { type AttemptOutcome, DeliveryQueue } from "@signal/store/DeliveryQueue"
import { Deferred, Effect, Queue } from "effect"
import { retryDatabase } from "./DatabaseRetry"

/** Outcomes written per transaction at most; under load a flush carries many destinations' results. */
const MAX_BATCH = 500

/**
 * One writer per process for every destination's attempt outcomes: whatever accumulated while the
 * previous batch was being written goes out in the next single transaction, so database round trips
 * grow with time, not with deliveries. `write` returns once the outcome is committed.
 */
export class OutcomeWriter extends Effect.Service<OutcomeWriter>()("@signal/dispatcher/OutcomeWriter", {
  scoped: Effect.gen(function*() {
    const queue = yield* DeliveryQueue
    const pending = yield* Queue.unbounded<readonly [AttemptOutcome, Deferred.Deferred<void, SqlError>]>()

    // Waiting for outcomes may be interrupted; a batch once taken is always written and answered.
    const writeBatch = Effect.uninterruptibleMask((restore) =>
      Effect.gen(function*() {
        const batch = yield* restore(Queue.takeBetween(pending, 1, MAX_BATCH))
        const items = [...batch]
        const exit = yield* queue.complete(items.map(([outcome]) => outcome)).pipe(
          Effect.retry(retryDatabase),
          Effect.withSpan("OutcomeWriter.write", { attributes: { "signal.outcomes": items.length } }),
          Effect.exit
        )
        yield* Effect.forEach(items, ([, done]) => Deferred.done(done, exit), { discard: true })
      })
    )

    yield* Effect.forkScoped(Effect.forever(writeBatch))

    // Anything offered but not yet written when the process stops is written before it goes.
    yield* Effect.addFinalizer(() =>
      Effect.whileLoop({
        while: () => Effect.runSync(Queue.size(pending)) > 0,
        body: () => writeBatch,
        step: () => {}
      })
    )

    const write = (outcome: AttemptOutcome) =>
      Effect.flatMap(Deferred.make<void, SqlError>(), (done) =>
        Queue.offer(pending, [outcome, done]).pipe(Effect.zipRight(Deferred.await(done)), Effect.orDie))

    return { write } as const
  })
}) {}
