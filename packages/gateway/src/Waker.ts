import { DestinationEntity } from "@signal/domain/DestinationProtocol"
import type { DestinationId } from "@signal/domain/Ids"
import { Context, Duration, Effect, FiberSet, Layer, Option } from "effect"
import { LocalDrains } from "./LocalDrains"

/**
 * How long one wake may wait for a live runner. A send to a shard whose runner just died retries
 * until the shard moves (seconds after a kill -9); past this the new owner's sweep wakes the destination instead.
 */
const WAKE_TIMEOUT = Duration.seconds(3)

/** Entity clients kept at most; past it the cache starts over (it only saves their making). */
const MAX_CLIENTS = 10_000

/**
 * Tells destination entities that work is due; best effort, the sweeper covers lost wakes.
 * Wakes go out in the background so no API answer waits on the cluster, and at most one is in
 * flight per destination: a wake asked for meanwhile is sent once that one is done, so an entity
 * always hears of work committed before it was asked for.
 *
 * In a process that also dispatches (`LocalDrains`), destinations whose shard it owns are handed to
 * its drains at once instead: no message, and nothing in flight to wait for. The others still get theirs.
 */
export class Waker extends Context.Tag("@signal/gateway/Waker")<Waker, {
  readonly wake: (destinationIds: Iterable<DestinationId>) => Effect.Effect<void>
  /** Tells a destination's entity that the destination changed, in the background like a wake. */
  readonly reconfigured: (destinationId: DestinationId) => Effect.Effect<void>
}>() {
  static readonly layer = Layer.scoped(
    Waker,
    Effect.gen(function*() {
      const makeClient = yield* DestinationEntity.client
      // An entity's client hashes its id to a shard and builds a proxy: made once per destination.
      const clients = new Map<DestinationId, ReturnType<typeof makeClient>>()
      const client = (id: DestinationId) => {
        let entity = clients.get(id)
        if (entity === undefined) {
          if (clients.size >= MAX_CLIENTS) clients.clear()
          entity = makeClient(id)
          clients.set(id, entity)
        }
        return entity
      }
      const fibers = yield* FiberSet.make()
      /** Destinations with a wake in flight → whether another was asked for since it left. */
      const inFlight = new Map<DestinationId, boolean>()

      const send = (id: DestinationId): Effect.Effect<void> =>
        client(id).Wake(undefined, { discard: true }).pipe(
          Effect.timeout(WAKE_TIMEOUT),
          Effect.catchAllCause((cause) => Effect.logDebug("wake not sent; the sweeper will pick it up", cause)),
          Effect.zipRight(Effect.suspend(() => {
            if (inFlight.get(id) === true) {
              inFlight.set(id, false)
              return send(id)
            }
            inFlight.delete(id)
            return Effect.void
          }))
        )

      const reconfiguredRemote = (id: DestinationId) =>
        FiberSet.run(
          fibers,
          client(id).Reconfigure(undefined, { discard: true }).pipe(
            Effect.timeout(WAKE_TIMEOUT),
            Effect.catchAllCause((cause) => Effect.logDebug("change not announced; the entity re-reads within a second", cause))
          )
        ).pipe(Effect.asVoid)

      const wakeRemote = (id: DestinationId) => {
        if (inFlight.has(id)) {
          inFlight.set(id, true)
          return Effect.void
        }
        inFlight.set(id, false)
        return FiberSet.run(fibers, send(id))
      }

      const local = yield* Effect.serviceOption(LocalDrains)
      if (Option.isNone(local)) {
        return Waker.of({
          reconfigured: reconfiguredRemote,
          wake: (destinationIds) => Effect.forEach(destinationIds, wakeRemote, { discard: true })
        })
      }
      const drains = local.value
      return Waker.of({
        reconfigured: (id) => drains.owns(id) ? drains.reconfigure(id) : reconfiguredRemote(id),
        wake: (destinationIds) =>
          Effect.suspend(() => {
            const here: Array<DestinationId> = []
            let elsewhere: Array<DestinationId> | undefined
            for (const id of destinationIds) {
              if (drains.owns(id)) here.push(id)
              else (elsewhere ??= []).push(id)
            }
            const handed = here.length === 0 ? Effect.void : drains.wake(here)
            return elsewhere === undefined
              ? handed
              : Effect.zipRight(handed, Effect.forEach(elsewhere, wakeRemote, { discard: true }))
          })
      })
    })
  )
}
