import { Entity } from "@effect/cluster"
import { DestinationEntity } from "@signal/domain/DestinationProtocol"
import type { DestinationId } from "@signal/domain/Ids"
import { Effect } from "effect"
import { makeDestinationWorker } from "./DestinationWorker"

/**
 * One entity per destination: its worker lives as long as the entity, and a wake keeps the entity
 * busy (so it is not idled away) until the worker has nothing due soon.
 */
export const DestinationEntityLive = DestinationEntity.toLayer(
  Effect.gen(function*() {
    const address = yield* Entity.CurrentAddress
    const worker = yield* makeDestinationWorker(address.entityId as string as DestinationId)
    return {
      Wake: () => worker.wake,
      Reconfigure: () => worker.reconfigure
    }
  })
)
