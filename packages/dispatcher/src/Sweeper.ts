import { Singleton } from "@effect/cluster"
import { DestinationEntity } from "@signal/domain/DestinationProtocol"
import { ClusterTables } from "@signal/store/ClusterTables"
import { DeliveryQueue } from "@signal/store/DeliveryQueue"
import { Effect } from "effect"
import { DispatcherConfig } from "./DispatcherConfig"

/**
 * One sweeper in the whole cluster wakes destinations whose due intents nobody holds: scheduled
 * retries past the entities' sleep window, missed wakes, leases left by a crashed runner, circuits
 * whose cool-down ended, and deleted destinations with work left to end.
 */
/** Destinations woken per sweep at most, and the due intents read to find the oldest of them. */
const SWEEP_LIMIT = 1_000
const SWEEP_WINDOW = 2_000
/** Destinations probed one by one per sweep, in turns, so none waits behind another's older backlog. */
const SWEEP_SLICE = 1_000

export const SweeperLive = Singleton.make(
  "signal-sweeper",
  Effect.gen(function*() {
    const queue = yield* DeliveryQueue
    const config = yield* DispatcherConfig
    const client = yield* DestinationEntity.client
    const circuitCoolDownMs = config.circuitCoolDownMs
    let afterSeq = "0"
    const sweep = Effect.gen(function*() {
      const oldest = yield* queue.dueDestinations({ limit: SWEEP_LIMIT, window: SWEEP_WINDOW, circuitCoolDownMs })
      const slice = yield* queue.dueInSlice({ afterSeq, size: SWEEP_SLICE, circuitCoolDownMs })
      afterSeq = slice.nextAfterSeq ?? "0"
      const ids = new Set([...oldest, ...slice.due])
      yield* Effect.annotateCurrentSpan({ "signal.woken": ids.size })
      yield* Effect.forEach(ids, (id) =>
        client(id).Wake(undefined, { discard: true }).pipe(
          // a wake to a shard whose runner just died waits for the shard to move: the next sweep retries it
          Effect.timeout(config.sweepIntervalMs),
          Effect.catchAllCause((cause) => Effect.logDebug(`wake of ${id} not sent; retrying next sweep`, cause))
        ), { discard: true, concurrency: 64 })
    }).pipe(
      Effect.catchAllCause((cause) => Effect.logWarning("sweep failed; retrying next period", cause)),
      Effect.withSpan("Sweeper.sweep")
    )
    yield* Effect.forever(sweep.pipe(Effect.zipRight(Effect.sleep(config.sweepIntervalMs))))
  })
)

/** Prunes what @effect/cluster never deletes, from one place in the cluster. */
export const ClusterJanitorLive = Singleton.make(
  "signal-cluster-janitor",
  Effect.gen(function*() {
    const tables = yield* ClusterTables
    const config = yield* DispatcherConfig
    const prune = tables.prune(config.clusterRetentionMs).pipe(
      Effect.tap((pruned) => Effect.logDebug("pruned cluster tables", pruned)),
      Effect.catchAllCause((cause) => Effect.logWarning("pruning cluster tables failed; retrying next period", cause))
    )
    yield* Effect.forever(prune.pipe(Effect.zipRight(Effect.sleep(config.clusterPruneIntervalMs))))
  })
)
