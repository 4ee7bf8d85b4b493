import * as WakeNotices from "@signal/store/WakeNotices"
import { Duration, Effect, Layer, Schedule } from "effect"
import { DestinationDrains } from "./DestinationDrains"

/** Between attempts to listen again after the connection was lost: 100 ms, doubling, at most 5 s. */
const RELISTEN = Schedule.exponential(Duration.millis(100)).pipe(
  Schedule.union(Schedule.spaced(Duration.seconds(5)))
)

/**
 * Hears the wake notices gateways send through Postgres (`WakeNotices`) and wakes the destinations
 * whose shards this process owns. The connection lost, it listens again; notices sent meanwhile are
 * lost, and the sweeper finds their work within its period.
 */
export const WakeListenerLive = Layer.scopedDiscard(Effect.gen(function*() {
  const drains = yield* DestinationDrains
  yield* Effect.forkScoped(
    WakeNotices.listen((destinations) => Effect.runSync(drains.wakeOwned(destinations))).pipe(
      Effect.tapErrorCause((cause) => Effect.logWarning("wake notices not heard; listening again", cause)),
      Effect.retry(RELISTEN)
    )
  )
}))
