import * as Singleton from "@effect/cluster/Singleton"
import { ClusterTables } from "@signal/store/ClusterTables"
import { DeliveryQueue } from "@signal/store/DeliveryQueue"
import { Effect, Layer } from "effect"
import { DestinationDrains } from "./DestinationDrains"
import { DispatcherConfig } from "./DispatcherConfig"

/** Destinations woken per sweep at most, and the due intents read to find the oldest of them. */
const SWEEP_LIMIT = 1_000
const SWEEP_WINDOW = 2_000
/** Destinations probed one by one per sweep, in turns, so none waits behind another's older backlog. */
const SWEEP_SLICE = 1_000

/**
 * Each dispatcher sweeps for due intents nobody holds, at destinations whose shard it owns:
 * scheduled retries past a drain's wait, missed wakes, leases left by a crashed runner (its shards
 * come here), circuits whose cool-down ended, and deleted destinations with work left to end. Its
 * wakes go straight to this process's drains: no entity is messaged (nor kept alive) for a sweep.
 */
export const SweeperLive = Layer.scopedDiscard(Effect.gen(function*() {
  const queue = yield* DeliveryQueue
  const config = yield* DispatcherConfig
  const drains = yield* DestinationDrains
  const circuitCoolDownMs = config.circuitCoolDownMs
  let afterSeq = "0"
  const sweep = Effect.gen(function*() {
    const oldest = yield* queue.dueDestinations({ limit: SWEEP_LIMIT, window: SWEEP_WINDOW, circuitCoolDownMs })
    const slice = yield* queue.dueInSlice({ afterSeq, size: SWEEP_SLICE, circuitCoolDownMs })
    afterSeq = slice.nextAfterSeq ?? "0"
    const woken = yield* drains.wakeOwned([...oldest, ...slice.due])
    yield* Effect.annotateCurrentSpan({ "signal.woken": woken })
  }).pipe(
    Effect.catchAllCause((cause) => Effect.logWarning("sweep failed; retrying next period", cause)),
    Effect.withSpan("Sweeper.sweep")
  )
  yield* Effect.forkScoped(Effect.forever(sweep.pipe(Effect.zipRight(Effect.sleep(config.sweepIntervalMs)))))
}))

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
