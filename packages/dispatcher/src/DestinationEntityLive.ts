import * as Entity from "@effect/cluster/Entity"
import * as Sharding from "@effect/cluster/Sharding"
import { DestinationEntity } from "@signal/domain/DestinationProtocol"
import type { DestinationId } from "@signal/domain/Ids"
import { Context, Duration, Effect, Layer, Scope } from "effect"
import { DestinationDrains } from "./DestinationDrains"

/**
 * An idle entity holds nothing (its destination's drain lives in `DestinationDrains`), so it goes
 * soon: publishes to thousands of destinations do not keep thousands of entities alive.
 */
const ENTITY_MAX_IDLE = Duration.seconds(10)

const handlers = Effect.gen(function*() {
  const address = yield* Entity.CurrentAddress
  const sharding = yield* Sharding.Sharding
  const drains = yield* DestinationDrains
  const destinationId = address.entityId as string as DestinationId
  // Closed because its shard moved (hand-over, shutdown), the drain stops and lands what it has
  // out; closed for being idle, the drain goes on.
  yield* Effect.addFinalizer(() => sharding.hasShardId(address.shardId) ? Effect.void : drains.stop(destinationId))
  return DestinationEntity.of({
    Reconfigure: () => drains.reconfigure(destinationId)
  })
})

/**
 * One entity per destination receives its changes and hands them to this process's drains (wakes
 * come as notices, `WakeListener`). It is registered with only the services it uses: the cluster
 * copies an entity's context several times per instance, which with the whole server's context cost
 * kilobytes each.
 */
export const DestinationEntityLive = Layer.scopedDiscard(Effect.gen(function*() {
  const sharding = yield* Sharding.Sharding
  const context = Context.make(Sharding.Sharding, sharding).pipe(
    Context.add(DestinationDrains, yield* DestinationDrains),
    Context.add(Scope.Scope, yield* Effect.scope)
  )
  yield* sharding.registerEntity(DestinationEntity, handlers, { maxIdleTime: ENTITY_MAX_IDLE }).pipe(
    // replaces the context (`provide` would merge it into the whole server's)
    Effect.mapInputContext((_: Context.Context<never>) => context)
  )
}))
