import type { DestinationId } from "@signal/domain/Ids"
import { type DeliveryDestination, DestinationRepo } from "@signal/store/DestinationRepo"
import { Duration, Effect, Option } from "effect"

/**
 * How often working drains see their destination as stored, so a disable, delete, URL, header,
 * limit, retry policy or secret change applies to the next attempt within about this long even
 * when the API's `Reconfigure` message was lost.
 */
export const DESTINATION_REFRESH = Duration.seconds(1)

/**
 * Re-reads the destinations of every working drain in this process, one statement per period for
 * all of them, and tells each drain what it found (`None`: deleted).
 */
export class DestinationWatch extends Effect.Service<DestinationWatch>()("@signal/dispatcher/DestinationWatch", {
  scoped: Effect.gen(function*() {
    const destinations = yield* DestinationRepo
    const watchers = new Map<DestinationId, (latest: Option.Option<DeliveryDestination>) => void>()

    const refresh = Effect.suspend(() => {
      if (watchers.size === 0) return Effect.void
      return Effect.map(destinations.forDeliveryAll([...watchers.keys()]), (found) => {
        for (const [id, seen] of watchers) seen(Option.fromNullable(found.get(id)))
      })
    })

    yield* Effect.forkScoped(Effect.forever(
      Effect.sleep(DESTINATION_REFRESH).pipe(
        Effect.zipRight(refresh),
        Effect.catchAllCause((cause) => Effect.logWarning("destination refresh failed", cause))
      )
    ))

    /** Calls `seen` with each read of `destinationId` for as long as the scope is open. */
    const watch = (destinationId: DestinationId, seen: (latest: Option.Option<DeliveryDestination>) => void) =>
      Effect.acquireRelease(
        Effect.sync(() => watchers.set(destinationId, seen)),
        () => Effect.sync(() => watchers.delete(destinationId))
      )

    return { watch } as const
  })
}) {}
