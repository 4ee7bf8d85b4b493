import type { RecoveryJobId } from "@signal/domain/Ids"
import { type ClaimedRecovery, RecoveryRepo } from "@signal/store/RecoveryRepo"
import { Config, Context, Duration, Effect, Layer, Option, Queue, Schedule } from "effect"
import { Waker } from "./Waker"

/** Intents one statement re-queues: short transactions, and the destination hears of each batch. */
export const RECOVERY_BATCH = 500
/** A job's runner must show progress this often, or another runner takes the job over. */
const LEASE = Duration.seconds(60)
/**
 * How often a gateway looks for jobs nobody runs (new ones are started at once by the gateway that
 * took them): one indexed read of the open jobs.
 */
const orphanPoll = Config.integer("SIGNAL_RECOVERY_POLL_MS").pipe(Config.withDefault(30_000), Config.map(Duration.millis))

/**
 * Runs recovery jobs in the background of the gateway, one at a time per process, batch after batch.
 * Jobs are rows, so a job whose gateway stopped is resumed from its cursor by any other.
 */
export class RecoveryRunner extends Context.Tag("@signal/gateway/RecoveryRunner")<RecoveryRunner, {
  /** A job was queued: start on it now instead of at the next poll. */
  readonly started: (id: RecoveryJobId) => Effect.Effect<void>
}>() {
  static readonly layer = Layer.scoped(
    RecoveryRunner,
    Effect.gen(function*() {
      const repo = yield* RecoveryRepo
      const waker = yield* Waker
      const kicks = yield* Queue.sliding<void>(1)
      const leaseMs = Duration.toMillis(LEASE)
      const poll = yield* orphanPoll

      const run = Effect.fn("RecoveryRunner.run")(function*(job: ClaimedRecovery) {
        yield* Effect.annotateCurrentSpan({ "signal.recovery_id": job.id, "signal.destination_id": job.destinationId })
        while (true) {
          const picked = yield* repo.step(job, RECOVERY_BATCH, leaseMs)
          if (picked === 0) break
          yield* waker.wake([job.destinationId])
        }
        yield* repo.finish(job.id)
      })

      const drain: Effect.Effect<void> = repo.claim(leaseMs).pipe(
        Effect.flatMap(Option.match({ onNone: () => Effect.void, onSome: (job) => Effect.zipRight(run(job), drain) })),
        Effect.catchAllCause((cause) => Effect.logWarning("recovery jobs paused; retried at the next poll", cause))
      )

      yield* Queue.take(kicks).pipe(
        Effect.timeout(poll),
        Effect.ignore,
        Effect.zipRight(drain),
        Effect.repeat(Schedule.forever),
        Effect.forkScoped
      )
      return RecoveryRunner.of({ started: () => Queue.offer(kicks, undefined).pipe(Effect.asVoid) })
    })
  )
}
