import type { IntentId } from "@signal/domain/Ids"
import { DeliveryQueue } from "@signal/store/DeliveryQueue"
import { Effect } from "effect"
import { DispatcherConfig } from "./DispatcherConfig"

/**
 * Keeps alive the leases of every intent this process works on, in one statement every third of
 * the lease time for all its destinations together (not one per destination, which at thousands
 * of busy destinations would take the pool from the claims). A crashed process's leases lapse.
 */
export class LeaseKeeper extends Effect.Service<LeaseKeeper>()("@signal/dispatcher/LeaseKeeper", {
  scoped: Effect.gen(function*() {
    const queue = yield* DeliveryQueue
    const { leaseMs } = yield* DispatcherConfig
    /** What each working drain holds (its own live map): intent → its lease owner. */
    const holders = new Set<ReadonlyMap<IntentId, string>>()

    const renew = Effect.suspend(() => {
      const intentIds: Array<IntentId> = []
      const owners: Array<string> = []
      for (const held of holders) {
        for (const [id, owner] of held) {
          intentIds.push(id)
          owners.push(owner)
        }
      }
      return queue.extendLeases(intentIds, owners, leaseMs)
    })

    yield* Effect.forkScoped(Effect.forever(
      Effect.sleep(Math.floor(leaseMs / 3)).pipe(
        Effect.zipRight(renew),
        Effect.catchAllCause((cause) => Effect.logWarning("lease renewal failed", cause))
      )
    ))

    /**
     * Renews `held` (read at each renewal: intent → its lease owner) until the returned function is
     * called. Plain calls, not a scope: a drain's turn holds and lets go without a finalizer's bookkeeping.
     */
    const hold = (held: ReadonlyMap<IntentId, string>) => {
      holders.add(held)
      return () => {
        holders.delete(held)
      }
    }

    return { hold } as const
  })
}) {}
