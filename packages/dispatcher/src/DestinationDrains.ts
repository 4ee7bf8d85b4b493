import * as EntityId from "@effect/cluster/EntityId"
import * as Sharding from "@effect/cluster/Sharding"
import { DestinationEntity } from "@signal/domain/DestinationProtocol"
import type { DestinationId, IntentId } from "@signal/domain/Ids"
import { DeliveryQueue } from "@signal/store/DeliveryQueue"
import { DestinationRepo } from "@signal/store/DestinationRepo"
import { IngestLoad } from "@signal/store/IngestLoad"
import type { AdoptedIntents, IntentAdoption } from "@signal/store/IntentAdoption"
import { Effect, Exit, Fiber, FiberId, FiberSet, Option, Scope } from "effect"
import * as CircuitBreaker from "./CircuitBreaker"
import { ClaimBatcher } from "./ClaimBatcher"
import type { Standing } from "./DestinationStanding"
import * as DeliveryMetrics from "./DeliveryMetrics"
import { DestinationWatch } from "./DestinationWatch"
import {
  adoptionOwner,
  claimLimit,
  type DestinationWorker,
  done,
  makeDestinationWorker,
  type Next,
  type WorkerServices
} from "./DestinationWorker"
import { DispatcherConfig } from "./DispatcherConfig"
import { HttpSender } from "./HttpSender"
import { LeaseKeeper } from "./LeaseKeeper"
import { OutcomeWriter } from "./OutcomeWriter"

/**
 * How long the process remembers an idle destination's breaker and rate-limit bucket (its breaker is
 * also saved with the destination at the end of every turn, so forgetting it loses no state that counts).
 */
const STANDING_IDLE_MS = 30_000

interface Turn {
  /** Set once the worker is made; a wake before that is covered by its first claim. */
  worker: DestinationWorker | undefined
  fiber: Fiber.RuntimeFiber<Next> | undefined
  /** Stopped from outside (the shard moved): its end starts nothing. */
  stopped: boolean
}

interface Remembered extends Standing {
  /** When its last turn ended (epoch ms); 0 while one runs. */
  idleSince: number
  /** Its circuit is open until then (epoch ms): wakes wait for the probe's timer. */
  quietUntil: number
}

/**
 * The destinations this process drains, in turns. At most `SIGNAL_MAX_DRAINING_DESTINATIONS` drain
 * at once; the others wait in line as an id each, and a destination whose work falls due later
 * waits as a timer. A drain's worker (claims, requests, leases) exists only during its turn, so
 * memory grows with the destinations draining now, not with those that have work.
 *
 * Wakes come here (notices from gateways, the sweeper, ingest in this process); a drain stops when
 * this process no longer owns the destination's shard, and when the process stops every drain lands
 * what it has out.
 *
 * Ingest in the same process hands fresh intents here too (`IntentAdoption`), leased as they were
 * inserted, for destinations whose drain is caught up or idle: those start without a claim. Until
 * their drain takes them they are renewed here, and given back if it never can.
 */
export class DestinationDrains extends Effect.Service<DestinationDrains>()("@signal/dispatcher/DestinationDrains", {
  dependencies: [ClaimBatcher.Default],
  scoped: Effect.gen(function*() {
    const config = yield* DispatcherConfig
    const sharding = yield* Effect.serviceOption(Sharding.Sharding)
    const clock = yield* Effect.clock
    const ingest = yield* IngestLoad
    const services: WorkerServices = {
      queue: yield* DeliveryQueue,
      batcher: yield* ClaimBatcher,
      destinations: yield* DestinationRepo,
      sender: yield* HttpSender,
      config,
      breakerConfig: {
        ...CircuitBreaker.defaultConfig,
        failureThreshold: config.circuitFailureThreshold,
        failureRatio: config.circuitFailureRatio,
        coolDownMs: config.circuitCoolDownMs
      },
      writer: yield* OutcomeWriter,
      watch: yield* DestinationWatch,
      leaseKeeper: yield* LeaseKeeper,
      clock,
      tracer: yield* Effect.tracer
    }
    const runFork = yield* FiberSet.makeRuntime<never>()
    const turns = new Map<DestinationId, Turn>()
    /** Destinations waiting for a turn, first come first served. */
    const waiting = new Set<DestinationId>()
    const timers = new Map<DestinationId, { readonly fiber: Fiber.RuntimeFiber<void>; readonly at: number }>()
    const remembered = new Map<DestinationId, Remembered>()
    /** Adopted intents their drain has not taken yet, and their leases (renewed meanwhile). */
    const adoptions = new Map<DestinationId, Array<AdoptedIntents>>()
    const adoptedLeases = new Map<IntentId, string>()
    yield* Effect.acquireRelease(
      Effect.sync(() => services.leaseKeeper.hold(adoptedLeases)),
      (letGo) => Effect.sync(letGo)
    )
    let free = config.maxDrainingDestinations
    let closing = false

    const takeAdopted = (id: DestinationId) => {
      const taken = adoptions.get(id)
      if (taken === undefined) return undefined
      adoptions.delete(id)
      for (const { intents } of taken) for (const intent of intents) adoptedLeases.delete(intent.intentId)
      return taken
    }
    /** Gives back what was adopted for `ids` and not taken: their drain will not run here. */
    const giveBackAdopted = (ids: Iterable<DestinationId>) => {
      const intentIds: Array<IntentId> = []
      const owners: Array<string> = []
      for (const id of ids) {
        for (const { intents } of takeAdopted(id) ?? []) {
          for (const intent of intents) {
            intentIds.push(intent.intentId)
            owners.push(intent.leaseOwner)
          }
        }
      }
      return services.queue.release(intentIds, owners).pipe(
        Effect.catchAllCause((cause) => Effect.logWarning("adopted leases not given back; they will lapse", cause))
      )
    }

    // Runs before the fibers are interrupted: a drain ending now starts nothing new.
    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => {
        closing = true
        return giveBackAdopted([...adoptions.keys()])
      })
    )

    /** Whether this process owns the destination's shard (always, outside a cluster). */
    const owns = Option.match(sharding, {
      onNone: () => (_: DestinationId) => true,
      onSome: (sharding) => (id: DestinationId) => {
        const entityId = EntityId.make(id)
        return sharding.hasShardId(sharding.getShardId(entityId, DestinationEntity.getShardGroup(entityId)))
      }
    })

    const standingOf = (id: DestinationId): Remembered => {
      const known = remembered.get(id)
      if (known !== undefined) {
        known.idleSince = 0
        return known
      }
      const fresh: Remembered = {
        settings: undefined,
        breaker: undefined,
        persistedHealth: "",
        limiter: undefined,
        scope: undefined,
        idleSince: 0,
        quietUntil: 0
      }
      remembered.set(id, fresh)
      return fresh
    }

    const cancelTimer = (id: DestinationId) => {
      const timer = timers.get(id)
      if (timer === undefined) return
      timers.delete(id)
      timer.fiber.unsafeInterruptAsFork(FiberId.none)
    }

    /**
     * Wakes the destination at `at`; with `keepEarlier`, at the time it was to be woken already if that
     * is earlier (a turn that claimed nothing knows only its own retries).
     */
    const wakeAt = (id: DestinationId, at: number, keepEarlier = false) => {
      const earlier = timers.get(id)
      if (keepEarlier && earlier !== undefined && earlier.at <= at) return
      cancelTimer(id)
      const fiber = runFork(Effect.sleep(Math.max(0, at - clock.unsafeCurrentTimeMillis())).pipe(
        Effect.zipRight(Effect.sync(() => {
          timers.delete(id)
          wakeNow(id)
        }))
      ))
      timers.set(id, { fiber, at })
    }

    const pump = () => {
      for (const id of waiting) {
        if (free === 0 || closing) return
        waiting.delete(id)
        start(id)
      }
    }

    /** The turn is over: its slot goes on, and what it left (a requeue, a due time, a late wake) is arranged. */
    const settle = (id: DestinationId, turn: Turn, next: Next) => {
      if (turns.get(id) === turn) turns.delete(id)
      free++
      const standing = remembered.get(id)
      if (standing !== undefined) {
        standing.idleSince = clock.unsafeCurrentTimeMillis()
        standing.quietUntil = next._tag === "Probe" ? next.at : 0
      }
      // Adopted intents it did not take wait for its next turn, unless none may start them soon.
      const keepAdopted = adoptions.has(id) && !turn.stopped && !closing && next._tag !== "Probe" &&
        standing?.settings !== undefined
      if (!turn.stopped && !closing) {
        if (next._tag === "Probe") wakeAt(id, next.at)
        else if (next._tag === "Requeue" || turn.worker?.woken() === true || keepAdopted) waiting.add(id)
        else if (next._tag === "WakeAt") wakeAt(id, next.at, true)
      }
      pump()
      return adoptions.has(id) && !keepAdopted ? giveBackAdopted([id]) : Effect.void
    }

    /**
     * Starts a turn. One started for adopted intents alone (`claimFirst` false) keeps the timer of
     * retries due later: it claims nothing, so it does not learn of them.
     */
    const start = (id: DestinationId, claimFirst = true) => {
      free--
      if (claimFirst) cancelTimer(id)
      const turn: Turn = { worker: undefined, fiber: undefined, stopped: false }
      turns.set(id, turn)
      const run = Effect.suspend(() => {
        const worker = makeDestinationWorker(id, services, {
          standing: standingOf(id),
          contended: () => waiting.size > 0,
          owned: () => owns(id),
          takeAdopted: () => takeAdopted(id),
          claimFirst
        })
        turn.worker = worker
        return worker.run
      }).pipe(
        Effect.catchAllCause((cause) =>
          Effect.as(Effect.logWarning("delivery loop stopped; the sweeper will restart it", cause), done)
        ),
        Effect.onExit((exit) => settle(id, turn, Exit.isSuccess(exit) ? exit.value : done))
      )
      turn.fiber = runFork(run)
    }

    const wakeNow = (id: DestinationId, changed = false) => {
      if (closing) return
      const turn = turns.get(id)
      if (turn !== undefined) return turn.worker?.wake()
      if (waiting.has(id)) return
      // An open circuit sends nothing before its probe, whatever is woken meanwhile; a change may end it.
      if (!changed && (remembered.get(id)?.quietUntil ?? 0) > clock.unsafeCurrentTimeMillis()) return
      cancelTimer(id)
      if (free > 0) start(id)
      else waiting.add(id)
    }

    /** Forgets the breakers and buckets of destinations idle for a while, so memory follows recent activity. */
    yield* Effect.forkScoped(Effect.forever(Effect.sleep(STANDING_IDLE_MS / 4).pipe(
      Effect.zipRight(Effect.suspend(() => {
        const now = clock.unsafeCurrentTimeMillis()
        const forgotten: Array<Scope.CloseableScope> = []
        for (const [id, standing] of remembered) {
          if (standing.idleSince === 0 || now - standing.idleSince < STANDING_IDLE_MS) continue
          if (turns.has(id) || waiting.has(id) || timers.has(id)) continue
          remembered.delete(id)
          if (standing.scope !== undefined) forgotten.push(standing.scope)
        }
        return Effect.forEach(forgotten, (scope) => Scope.close(scope, Exit.void), { discard: true })
      }))
    )))

    /**
     * How many fresh intents of the destination its drain would start now without a claim: one caught
     * up, or none running while a slot is free, of an active unordered destination this process has
     * drained lately (its settings known) with its circuit closed; less what was adopted and not taken.
     * None while ingest is heavy: deliveries then go through the claims, which make room for it
     * (adopted, they started beside a backed-up ingest and slowed it further: p50 340–500 ms against
     * 40–90 ms in the open loop's first seconds).
     */
    const room = (id: DestinationId): number => {
      if (closing || ingest.heavy() || waiting.has(id) || !owns(id)) return 0
      const standing = remembered.get(id)
      const settings = standing?.settings
      if (standing === undefined || settings === undefined || settings.template.destination.ordering === "fifo") return 0
      if (standing.quietUntil > clock.unsafeCurrentTimeMillis()) return 0
      if (standing.breaker !== undefined && standing.breaker.current().status !== "closed") return 0
      const turn = turns.get(id)
      const room = turn !== undefined
        ? turn.worker?.room() ?? 0
        : free > 0
        ? claimLimit(settings.template.destination.maxConcurrency)
        : 0
      let taken = 0
      for (const { intents } of adoptions.get(id) ?? []) taken += intents.length
      return room - taken
    }

    /** Intents adopted at their insert, now committed: each destination's drain starts them. */
    const adopt = (handed: ReadonlyArray<AdoptedIntents>) =>
      Effect.suspend(() => {
        let notHere: Array<DestinationId> | undefined
        for (const adopted of handed) {
          DeliveryMetrics.countAdopted(adopted.intents.length)
          const id = adopted.destinationId
          const buffered = adoptions.get(id)
          if (buffered === undefined) adoptions.set(id, [adopted])
          else buffered.push(adopted)
          for (const intent of adopted.intents) adoptedLeases.set(intent.intentId, intent.leaseOwner)
          if (closing || !owns(id)) {
            ;(notHere ??= []).push(id)
            continue
          }
          const turn = turns.get(id)
          // a turn whose worker is not made yet takes them with its first look
          if (turn !== undefined) turn.worker?.adopted()
          else if (waiting.has(id)) continue
          else if (free > 0) start(id, false)
          else waiting.add(id)
        }
        return notHere === undefined ? Effect.void : giveBackAdopted(notHere)
      })

    const adoption: IntentAdoption = { owner: adoptionOwner, leaseMs: config.leaseMs, room }

    return {
      /** Whether this process owns the destination's shard, so a wake can be handed here directly. */
      owns,
      /** What ingest in this process may lease to these drains as it inserts (`IntentAdoption`). */
      adoption,
      adopt,
      /** Wakes those of `ids` whose shard this process owns; how many that was. */
      wakeOwned: (ids: Iterable<DestinationId>) =>
        Effect.sync(() => {
          let woken = 0
          for (const id of new Set(ids)) {
            if (!owns(id)) continue
            wakeNow(id)
            woken++
          }
          return woken
        }),
      /** The destination changed: a draining worker re-reads it now; otherwise a turn reads it fresh. */
      reconfigure: (id: DestinationId) =>
        Effect.sync(() => {
          const worker = turns.get(id)?.worker
          if (worker !== undefined) worker.reconfigure()
          else wakeNow(id, true)
        }),
      /** The destination is no longer this process's: its turn ends once what it has out has landed. */
      stop: (id: DestinationId) =>
        Effect.suspend(() => {
          waiting.delete(id)
          cancelTimer(id)
          const turn = turns.get(id)
          if (turn?.fiber === undefined) return giveBackAdopted([id])
          turn.stopped = true
          return Effect.zipRight(Fiber.interrupt(turn.fiber), giveBackAdopted([id]))
        }).pipe(Effect.asVoid)
    } as const
  })
}) {}
