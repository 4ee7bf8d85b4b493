import type { DestinationId } from "@signal/domain/Ids"
import { type DeliveryDestination, DestinationRepo } from "@signal/store/DestinationRepo"
import { Duration, Effect, Option } from "effect"

/**
 * How often working drains see their destination as stored, so a disable, delete, URL, header,
 * limit, retry policy or secret change applies to the next attempt within about this long even
 * when the API's `Reconfigure` message was lost.
 */
export const DESTINATION_REFRESH = Duration.seconds(1)

export interface Watcher {
  /** The version of the destination the watcher works with (`DeliveryDestination.version`). */
  readonly version: () => string
  readonly seen: (latest: Option.Option<DeliveryDestination>) => void
}

/**
 * Watches the destinations of every working drain in this process: once per period one statement
 * reads when each last changed, and only those that did change are read whole (and decoded); each
 * drain hears of its own (`None`: deleted).
 */
export class DestinationWatch extends Effect.Service<DestinationWatch>()("@signal/dispatcher/DestinationWatch", {
  scoped: Effect.gen(function*() {
    const destinations = yield* DestinationRepo
    const watchers = new Map<DestinationId, Watcher>()

    const refresh = Effect.gen(function*() {
      if (watchers.size === 0) return
      const ids = [...watchers.keys()]
      const versions = yield* destinations.versions(ids)
      const changed: Array<DestinationId> = []
      // Only the destinations read: one whose drain began watching while the read was out is
      // absent from it without being deleted.
      for (const id of ids) {
        const watcher = watchers.get(id)
        if (watcher === undefined) continue
        const version = versions.get(id)
        if (version === undefined) watcher.seen(Option.none())
        else if (version !== watcher.version()) changed.push(id)
      }
      if (changed.length === 0) return
      const found = yield* destinations.forDeliveryAll(changed)
      for (const id of changed) watchers.get(id)?.seen(Option.fromNullable(found.get(id)))
    })

    yield* Effect.forkScoped(Effect.forever(
      Effect.sleep(DESTINATION_REFRESH).pipe(
        Effect.zipRight(refresh),
        Effect.catchAllCause((cause) => Effect.logWarning("destination refresh failed", cause))
      )
    ))

    /**
     * Calls `seen` whenever `destinationId` is found changed since the version the watcher has, or
     * deleted, until the returned function is called (plain calls: a drain watches without a scope).
     */
    const watch = (destinationId: DestinationId, watcher: Watcher) => {
      watchers.set(destinationId, watcher)
      return () => {
        if (watchers.get(destinationId) === watcher) watchers.delete(destinationId)
      }
    }

    return { watch } as const
  })
}) {}
