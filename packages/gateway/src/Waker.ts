import { DestinationEntity } from "@signal/domain/DestinationProtocol"
import type { DestinationId } from "@signal/domain/Ids"
import { WakeNotices } from "@signal/store/WakeNotices"
import { Context, Duration, Effect, FiberSet, Layer, Option } from "effect"
import { LocalDrains } from "./LocalDrains"

/**
 * How long a wake notice or a change message may take. A change sent to a shard whose runner just
 * died retries until the shard moves (seconds after a kill -9); past this the drain's own periodic
 * look at its destination (within a second) or the new owner's sweep covers it.
 */
const WAKE_TIMEOUT = Duration.seconds(3)

/** Entity clients kept at most; past it the cache starts over (it only saves their making). */
const MAX_CLIENTS = 10_000

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
 * Tells dispatchers that work is due; best effort, the sweeper covers lost wakes. Wakes go out in
 * the background so no API answer waits on them, as notices through Postgres (`WakeNotices`), which
 * every dispatcher hears, each waking the destinations whose shards it owns: a fan-out costs one
 * statement, and a dispatcher reads a notice off its connection, where an entity message cost the
 * cluster's whole message path on both sides. One statement is out at a time: destinations asked
 * for meanwhile go together in the next, sent once it is done, so a dispatcher always hears of work
 * committed before the wake was asked for.
 *
 * In a process that also dispatches (`LocalDrains`), destinations whose shard it owns are handed to
 * its drains at once instead: no notice, and nothing in flight to wait for.
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
      const notices = yield* WakeNotices
      const fibers = yield* FiberSet.make()
      /** Destinations asked for while a notice is out, for the next one. */
      let pending: Set<DestinationId> | undefined
      let sending = false

      const sendPending: Effect.Effect<void> = Effect.suspend(() => {
        const ids = pending
        pending = undefined
        if (ids === undefined) {
          sending = false
          return Effect.void
        }
        return notices.notify(ids).pipe(
          Effect.timeout(WAKE_TIMEOUT),
          Effect.catchAllCause(notSent),
          Effect.zipRight(sendPending)
        )
      })

      const wakeRemote = (ids: Iterable<DestinationId>) =>
        Effect.suspend(() => {
          for (const id of ids) (pending ??= new Set()).add(id)
          if (sending || pending === undefined) return Effect.void
          sending = true
          return Effect.asVoid(FiberSet.run(fibers, sendPending))
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
