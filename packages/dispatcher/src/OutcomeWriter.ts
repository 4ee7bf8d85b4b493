import type { SqlError } from "@effect/sql/SqlError"
import { type AttemptOutcome, DeliveryQueue } from "@signal/store/DeliveryQueue"
import { isTransient } from "@signal/store/SqlFailure"
import { Cause, Effect, Exit, Option, type Schedule } from "effect"
import { retryDatabase, retryDatabaseWhileStopping } from "./DatabaseRetry"

/** Outcomes written per transaction at most; under load a flush carries many destinations' results. */
const MAX_BATCH = 500

/** How long a stopping process keeps trying to write what it still holds. */
const STOPPING_BUDGET = "5 seconds"

/** An outcome to write and who hears how that went: called once, from the writer, with the commit's exit. */
export interface Submission {
  readonly outcome: AttemptOutcome
  readonly written: (exit: Exit.Exit<void, SqlError>) => void
}

const isSqlError = (defect: unknown): defect is SqlError => (defect as { _tag?: string } | null)?._tag === "SqlError"

/**
 * The same attempt without the receiver's answer, for an outcome Postgres refused as written: the
 * status code, success and retry decision are kept, and the error says why the rest is missing.
 */
const withoutResponse = (outcome: AttemptOutcome, reason: string): AttemptOutcome => ({
  ...outcome,
  response: outcome.response && { statusCode: outcome.response.statusCode, headers: {}, body: "" },
  error: {
    code: "response_unstorable",
    message: `the attempt's outcome could not be stored as received (${reason})` +
      (outcome.error ? `; ${outcome.error.code}: ${outcome.error.message}` : "")
  }
})

/**
 * One writer per process for every destination's attempt outcomes: whatever accumulated while the
 * previous batch was being written goes out in the next single transaction, so database round trips
 * grow with time, not with deliveries.
 *
 * A batch Postgres refuses for its content (not a lost connection) is split in halves until the
 * offending outcome stands alone; that one is stored without the receiver's answer, so one hostile
 * response never holds back anybody else's outcomes.
 */
export class OutcomeWriter extends Effect.Service<OutcomeWriter>()("@signal/dispatcher/OutcomeWriter", {
  scoped: Effect.gen(function*() {
    const queue = yield* DeliveryQueue
    // A plain array and one waiter, not an Effect `Queue`: taking n items from a `Queue` built a
    // chunk node per item, 4 % of what the delivery path allocated.
    let pending: Array<Submission> = []
    let writerWaits: (() => void) | undefined
    /** Resumes once something is pending. */
    const somethingPending = Effect.async<void>((resume) => {
      if (pending.length > 0) return resume(Effect.void)
      writerWaits = () => resume(Effect.void)
      return Effect.sync(() => {
        writerWaits = undefined
      })
    })
    const take = (limit: number): Array<Submission> => {
      if (pending.length <= limit) {
        const all = pending
        pending = []
        return all
      }
      const batch = pending.slice(0, limit)
      pending = pending.slice(limit)
      return batch
    }

    const settle = (items: ReadonlyArray<Submission>, exit: Exit.Exit<void, SqlError>) =>
      Effect.sync(() => {
        for (const item of items) item.written(exit)
      })

    /** Set when the process stops: a write in progress then makes one more try, not two minutes of them. */
    let stopping = false

    const attempt = (outcomes: ReadonlyArray<AttemptOutcome>, schedule: Schedule.Schedule<unknown>) =>
      queue.complete(outcomes).pipe(
        // @effect/sql raises a failed COMMIT as a defect: it is a database failure like any other.
        Effect.catchSomeDefect((defect) => isSqlError(defect) ? Option.some(Effect.fail(defect)) : Option.none()),
        Effect.retry({ schedule, while: (error) => isTransient(error) && !stopping })
      )

    const store = (items: ReadonlyArray<Submission>, schedule: Schedule.Schedule<unknown>): Effect.Effect<void> =>
      attempt(items.map((item) => item.outcome), schedule).pipe(
        Effect.matchCauseEffect({
          onSuccess: () => settle(items, Exit.void),
          onFailure: (cause) => {
            const failure = Cause.failureOption(cause)
            // The database is away: every waiter hears so, and lease expiry recovers the intents.
            if (Option.isSome(failure) && isTransient(failure.value)) return settle(items, Exit.fail(failure.value))
            if (Cause.isInterruptedOnly(cause)) return Effect.interrupt
            if (items.length > 1) {
              const half = Math.ceil(items.length / 2)
              return Effect.zipRight(store(items.slice(0, half), schedule), store(items.slice(half), schedule))
            }
            const { outcome } = items[0]
            const reason = Option.match(failure, { onNone: () => Cause.pretty(cause), onSome: (error) => error.message })
            return Effect.logError(`outcome of ${outcome.claim.intentId} refused by the database; stored without the response`, cause)
              .pipe(
                Effect.zipRight(attempt([withoutResponse(outcome, reason)], schedule)),
                Effect.exit,
                Effect.flatMap((exit) => settle(items, exit))
              )
          }
        })
      )

    // Waiting for outcomes may be interrupted; a batch once taken is written (or refused) and answered.
    const writeNext = Effect.uninterruptibleMask((restore) =>
      Effect.zipRight(restore(somethingPending), Effect.suspend(() => store(take(MAX_BATCH), retryDatabase)))
    )

    // What is still queued when the process stops is written before it goes, within a bounded time;
    // anything left after that is recovered by lease expiry, never lost. Added before the writing
    // fiber is forked, so it runs after that fiber finished the batch it had taken.
    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => Effect.interruptible(store(take(Infinity), retryDatabaseWhileStopping))).pipe(
        // Finalizers are uninterruptible: this one may be cut by its time budget.
        Effect.timeout(STOPPING_BUDGET),
        Effect.catchAllCause((cause) => Effect.logWarning("outcomes not written at shutdown; their leases will lapse", cause))
      )
    )

    yield* Effect.forkScoped(Effect.forever(writeNext))
    // Runs first when the process stops (finalizers run in reverse): the write in progress stops retrying.
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        stopping = true
      })
    )

    /**
     * Queues outcomes for the next transaction; each one's `written` hears how its write went. A
     * plain call that never fails or waits: a caller hands outcomes over without waiting for Postgres.
     */
    const submit = (submissions: ReadonlyArray<Submission>): void => {
      if (submissions.length === 0) return
      for (const submission of submissions) pending.push(submission)
      const wake = writerWaits
      writerWaits = undefined
      wake?.()
    }

    return { submit } as const
  })
}) {}
