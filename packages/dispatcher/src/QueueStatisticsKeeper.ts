import * as Singleton from "@effect/cluster/Singleton"
import { QueueStatistics } from "@signal/store/QueueStatistics"
import { Duration, Effect } from "effect"

/** How often the queue table's change count is looked at: one small catalog read. */
const INTERVAL = Duration.seconds(5)

/**
 * One process in the cluster keeps the queue's planner statistics current, seconds after a burst of
 * publishes rather than at autovacuum's next round.
 */
export const QueueStatisticsKeeperLive = Singleton.make(
  "signal-queue-statistics",
  Effect.gen(function*() {
    const statistics = yield* QueueStatistics
    const check = statistics.refreshIfStale.pipe(
      Effect.catchAllCause((cause) => Effect.logWarning("queue statistics not refreshed; retrying next period", cause))
    )
    yield* Effect.forever(Effect.zipRight(Effect.sleep(INTERVAL), check))
  })
)
