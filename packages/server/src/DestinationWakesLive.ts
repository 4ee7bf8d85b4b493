import * as Sharding from "@effect/cluster/Sharding"
import { DestinationDrains } from "@signal/dispatcher/DestinationDrains"
import { DestinationWakes } from "@signal/domain/DestinationProtocol"
import type { DestinationId } from "@signal/domain/Ids"
import { Context, Duration, Effect, Layer, Scope } from "effect"

/** Its instances hold nothing, so they go as soon as a batch has passed. */
const MAX_IDLE = Duration.seconds(5)

/**
 * Receives `WakeMany` on a dispatcher: wakes the destinations whose shards this runner owns in its
 * drains, as their entities would, and answers with the others for the sender to pass on.
 */
export const DestinationWakesLive = Layer.scopedDiscard(Effect.gen(function*() {
  const sharding = yield* Sharding.Sharding
  const drains = yield* DestinationDrains
  const handlers = DestinationWakes.of({
    WakeMany: ({ payload }) =>
      Effect.suspend(() => {
        const owned: Array<DestinationId> = []
        const elsewhere: Array<DestinationId> = []
        for (const id of payload.destinationIds) (drains.owns(id) ? owned : elsewhere).push(id)
        return Effect.as(drains.wakeOwned(owned), elsewhere)
      })
  })
  const scope = Context.make(Scope.Scope, yield* Effect.scope)
  yield* sharding.registerEntity(DestinationWakes, Effect.succeed(handlers), { maxIdleTime: MAX_IDLE }).pipe(
    // nothing but its scope: the cluster copies an entity's context per instance
    Effect.mapInputContext((_: Context.Context<never>) => scope)
  )
}))
