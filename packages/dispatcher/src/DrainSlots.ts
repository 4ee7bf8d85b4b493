import { Effect } from "effect"
import { DispatcherConfig } from "./DispatcherConfig"

/**
 * How many destinations of this process drain at once. Memory (claims, requests, sockets) and
 * database connections grow with draining destinations, not with those that have work: with
 * thousands due together, the rest wait their turn, and a drain that held its slot for a while
 * hands it on when others wait, so every destination gets its turn.
 */
export class DrainSlots extends Effect.Service<DrainSlots>()("@signal/dispatcher/DrainSlots", {
  effect: Effect.gen(function*() {
    const { maxDrainingDestinations } = yield* DispatcherConfig
    let free = maxDrainingDestinations
    /** Drains waiting for a slot, first come first served. */
    const waiting: Array<() => void> = []

    const release = () => {
      const next = waiting.shift()
      if (next === undefined) free++
      else next()
    }

    const acquire = Effect.async<void>((resume) => {
      if (free > 0) {
        free--
        return resume(Effect.void)
      }
      let granted = false
      const grant = () => {
        granted = true
        resume(Effect.void)
      }
      waiting.push(grant)
      // Interrupted while waiting: leave the line, or pass on a slot handed over meanwhile.
      return Effect.sync(() => {
        if (granted) return release()
        const at = waiting.indexOf(grant)
        if (at >= 0) waiting.splice(at, 1)
      })
    })

    /** Runs `self` holding a slot; waiting for one can be interrupted, the slot is always given back. */
    const withSlot = <A, E, R>(self: Effect.Effect<A, E, R>) =>
      Effect.uninterruptibleMask((restore) =>
        Effect.zipRight(restore(acquire), Effect.ensuring(restore(self), Effect.sync(release)))
      )

    /** Whether other destinations wait for a slot. */
    const contended = () => waiting.length > 0

    return { withSlot, contended } as const
  })
}) {}
