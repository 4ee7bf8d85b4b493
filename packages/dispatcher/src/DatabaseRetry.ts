import type { SqlError } from "@effect/sql/SqlError"
import { isTransient, whileAway } from "@signal/store/SqlFailure"
import { Effect, Schedule } from "effect"

/** While the database is away the engine waits and retries (quickly at first) for up to two minutes. */
export const retryDatabase = whileAway("2 minutes")

/** Shutdown does not wait for a database that is away: what it cannot write, lease expiry recovers. */
export const retryDatabaseWhileStopping = Schedule.exponential("100 millis").pipe(Schedule.upTo("3 seconds"))

/**
 * Retries only what can succeed on a later try (connection loss, shutdown, serialization, deadlock,
 * too many connections); a statement Postgres refuses for its content fails at once.
 *
 * `Effect.retry` builds a schedule driver and a copy of the fiber's whole context each time it runs;
 * a delivery turn runs a few retried statements, and they almost never fail. So the retry is built
 * only after a first transient failure, which it replays to the schedule first: the schedule sees the
 * same failures and times the same tries as if it had wrapped the statement from the start.
 */
export const retryTransient = (schedule: Schedule.Schedule<unknown> = retryDatabase) =>
<A, R>(self: Effect.Effect<A, SqlError, R>): Effect.Effect<A, SqlError, R> =>
  Effect.catchIf(self, isTransient, (first) => {
    let replayed = false
    const again = Effect.suspend(() => {
      if (replayed) return self
      replayed = true
      return Effect.fail(first)
    })
    return Effect.retry(again, { schedule, while: isTransient })
  })
