import { DestinationEntity, DestinationWakes } from "@signal/domain/DestinationProtocol"
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

/** Destinations in one `WakeMany` message at most. */
const MAX_BATCH = 1_000

/**
 * Runners a batch is passed along at most (each wakes what it owns and hands back the rest); what
 * is left after that (shards moving meanwhile) goes one message per destination.
 */
const MAX_HOPS = 8

/** Entity clients by id: a client hashes its id to a shard and builds a proxy, so each is made once. */
const clientCache = <C>(make: (id: DestinationId) => C) => {
  const clients = new Map<DestinationId, C>()
  return (id: DestinationId) => {
    let client = clients.get(id)
    if (client === undefined) {
      if (clients.size >= MAX_CLIENTS) clients.clear()
      client = make(id)
      clients.set(id, client)
    }
    return client
  }
}

const notSent = (cause: unknown) => Effect.logDebug("wake not sent; the sweeper will pick it up", cause)

/**
 * Tells destination entities that work is due; best effort, the sweeper covers lost wakes.
 * Wakes go out in the background so no API answer waits on the cluster, and at most one is in
 * flight per destination: a wake asked for meanwhile is sent once that one is done, so an entity
 * always hears of work committed before it was asked for.
 *
 * The destinations of one call go out together as `WakeMany`, to the entity of the first: its runner
 * wakes those it owns and answers with the rest, sent on likewise, so a fan-out costs a message per
 * runner. In a process that also dispatches (`LocalDrains`), destinations whose shard it owns are
 * handed to its drains at once instead: no message, and nothing in flight to wait for.
 */
export class Waker extends Context.Tag("@signal/gateway/Waker")<Waker, {
  readonly wake: (destinationIds: Iterable<DestinationId>) => Effect.Effect<void>
  /** Tells a destination's entity that the destination changed, in the background like a wake. */
  readonly reconfigured: (destinationId: DestinationId) => Effect.Effect<void>
}>() {
  static readonly layer = Layer.scoped(
    Waker,
    Effect.gen(function*() {
      const client = clientCache(yield* DestinationEntity.client)
      const wakesClient = clientCache(yield* DestinationWakes.client)
      const fibers = yield* FiberSet.make()
      /** Destinations with a wake in flight → whether another was asked for since it left. */
      const inFlight = new Map<DestinationId, boolean>()

      const wakeOne = (id: DestinationId) => client(id).Wake(undefined, { discard: true })

      const relay = (ids: ReadonlyArray<DestinationId>, hops: number): Effect.Effect<void, unknown> =>
        ids.length === 1 || hops === MAX_HOPS
          ? Effect.forEach(ids, wakeOne, { concurrency: "unbounded", discard: true })
          : Effect.flatMap(
            wakesClient(ids[0]).WakeMany({ destinationIds: ids }),
            (rest) => rest.length === 0 ? Effect.void : relay(rest, hops + 1)
          )

      // A wake that failed is left to the sweeper, not sent again one message per destination: what fails
      // is a timeout (no runner took it: none is up, shards are moving, or a runner of an earlier version
      // waits for the entity it lacks), which every one of those messages would meet too, each retrying
      // every 100 ms meanwhile.
      const send = (ids: ReadonlyArray<DestinationId>): Effect.Effect<void> =>
        relay(ids, 0).pipe(
          Effect.timeout(WAKE_TIMEOUT),
          Effect.catchAllCause(notSent),
          Effect.zipRight(Effect.suspend(() => {
            let again: Array<DestinationId> | undefined
            for (const id of ids) {
              if (inFlight.get(id) === true) {
                inFlight.set(id, false)
                ;(again ??= []).push(id)
              } else {
                inFlight.delete(id)
              }
            }
            return again === undefined ? Effect.void : send(again)
          }))
        )

      const wakeRemote = (ids: Iterable<DestinationId>) =>
        Effect.suspend(() => {
          const batches: Array<Array<DestinationId>> = []
          let batch: Array<DestinationId> | undefined
          for (const id of ids) {
            if (inFlight.has(id)) {
              inFlight.set(id, true)
              continue
            }
            inFlight.set(id, false)
            if (batch === undefined || batch.length === MAX_BATCH) batches.push(batch = [])
            batch.push(id)
          }
          return Effect.forEach(batches, (batch) => FiberSet.run(fibers, send(batch)), { discard: true })
        })

      const reconfiguredRemote = (id: DestinationId) =>
        FiberSet.run(
          fibers,
          client(id).Reconfigure(undefined, { discard: true }).pipe(
            Effect.timeout(WAKE_TIMEOUT),
            Effect.catchAllCause((cause) => Effect.logDebug("change not announced; the entity re-reads within a second", cause))
          )
        ).pipe(Effect.asVoid)

      const local = yield* Effect.serviceOption(LocalDrains)
      if (Option.isNone(local)) return Waker.of({ reconfigured: reconfiguredRemote, wake: wakeRemote })
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
            return elsewhere === undefined ? handed : Effect.zipRight(handed, wakeRemote(elsewhere))
          })
      })
    })
  )
}
