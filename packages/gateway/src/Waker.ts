import { DestinationEntity } from "@signal/domain/DestinationProtocol"
import type { DestinationId } from "@signal/domain/Ids"
import { Context, Effect, Layer } from "effect"

/** Tells destination entities that work is due; best effort, the sweeper covers lost wakes. */
export class Waker extends Context.Tag("@signal/gateway/Waker")<Waker, {
  readonly wake: (destinationIds: Iterable<DestinationId>) => Effect.Effect<void>
}>() {
  static readonly layer = Layer.effect(
    Waker,
    Effect.gen(function*() {
      const client = yield* DestinationEntity.client
      return Waker.of({
        wake: (destinationIds) =>
          Effect.forEach(
            destinationIds,
            (id) =>
              client(id).Wake(undefined, { discard: true }).pipe(
                Effect.catchAllCause((cause) => Effect.logWarning("wake not sent; the sweeper will pick it up", cause))
              ),
            { discard: true, concurrency: 16 }
          ).pipe(Effect.withSpan("Waker.wake"))
      })
    })
  )
}
