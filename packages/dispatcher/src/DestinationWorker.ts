import type { SqlError } from "@effect/sql/SqlError"
import type { DestinationId, IntentId } from "@signal/domain/Ids"
import type { AttemptOutcome, ClaimedIntent, DeliveryQueue } from "@signal/store/DeliveryQueue"
import type { DeliveryDestination, DestinationRepo } from "@signal/store/DestinationRepo"
import type { AdoptedIntents } from "@signal/store/IntentAdoption"
import { type Clock, type Context, Effect, Exit, Option, type Schedule, type Tracer } from "effect"
import { randomUUID } from "node:crypto"
import {
  attemptSpan,
  expiredResult,
  failedOutcomeOf,
  type Flight,
  httpSpan,
  outcomeOf,
  succeededNext
} from "./AttemptFlight"
import type * as CircuitBreaker from "./CircuitBreaker"
import type { ClaimBatcher } from "./ClaimBatcher"
import { retryDatabase, retryDatabaseWhileStopping, retryTransient } from "./DatabaseRetry"
import * as DeliveryMetrics from "./DeliveryMetrics"
import { breakerOf, healthChanged, persistHealth, type Settings, settingsOf, type Standing } from "./DestinationStanding"
import type { DestinationWatch } from "./DestinationWatch"
import type { DispatcherConfig } from "./DispatcherConfig"
import { failedSend, type HttpSender, type SendResult } from "./HttpSender"
import type { LeaseKeeper } from "./LeaseKeeper"
import type { OutcomeWriter, Submission } from "./OutcomeWriter"
import { webhookRequest } from "./WebhookRequest"

/** Identifies this process's leases, so a release never touches another worker's claims. */
const processId = randomUUID().slice(0, 8)

/** The lease owner of the intents this process's drains adopt at their insert (each is adopted once). */
export const adoptionOwner = `${processId}:adopted`

/** How many intents a claim asks for, so that free slots find work waiting while requests are out. */
export const claimLimit = (maxConcurrency: number) => Math.min(500, Math.max(10, maxConcurrency * 2))

/** A pass that found nothing to claim waits at least this long before looking again. */
const EMPTY_PASS_PAUSE_MS = 50

/** How long a drain keeps its slot while other destinations wait for one. */
const DRAIN_QUANTUM_MS = 1_000

/** What a drain pass ended with, and so what the loop does next. */
type DrainEnd =
  /**
   * Nothing claimable now; `claimedAny` tells whether the pass did any work, `nextDue` when the work
   * it knows of falls due next (epoch ms; `null`: none; `undefined`: ordered, so it must be asked).
   */
  | { readonly _tag: "Idle"; readonly claimedAny: boolean; readonly nextDue: number | null | undefined }
  /** The destination is gone or disabled: nothing to do until something changes it. */
  | { readonly _tag: "Stopped" }
  /** The circuit is open: nothing may be sent before `until` (epoch ms), when one probe goes out. */
  | { readonly _tag: "CircuitOpen"; readonly until: number }
  /** Others wait for a drain slot: this one hands its slot on and queues again. */
  | { readonly _tag: "Yield" }

/**
 * What every worker of the process works with, gathered once by the process's drains: a turn starts
 * as often as a delivery under light load, so nothing every turn would look up is looked up per turn.
 */
export interface WorkerServices {
  readonly queue: DeliveryQueue
  readonly batcher: ClaimBatcher
  readonly destinations: DestinationRepo
  readonly sender: HttpSender
  readonly config: Context.Tag.Service<typeof DispatcherConfig>
  readonly breakerConfig: CircuitBreaker.Config
  readonly writer: OutcomeWriter
  readonly watch: DestinationWatch
  readonly leaseKeeper: LeaseKeeper
  readonly clock: Clock.Clock
  readonly tracer: Tracer.Tracer
}

/** What a worker's run leaves to the process when it ends. */
export type Next =
  /** Nothing to do until a wake (or the sweeper). */
  | { readonly _tag: "Done" }
  /** Its turn is over while other destinations wait: it queues again behind them. */
  | { readonly _tag: "Requeue" }
  /** Work falls due at `at` (epoch ms): wake it then. */
  | { readonly _tag: "WakeAt"; readonly at: number }
  /** The circuit is open: nothing may be sent before `at` (epoch ms), when one probe goes out. */
  | { readonly _tag: "Probe"; readonly at: number }

/** One drain's turn at a destination, as the process's drains see it. */
export interface DestinationWorker {
  /** Drains until nothing is due now; what remains is said by `Next`. */
  readonly run: Effect.Effect<Next>
  /** Work may have been committed: a running drain looks again. */
  readonly wake: () => void
  /** The destination changed: a running drain re-reads it now. */
  readonly reconfigure: () => void
  /** Whether a wake came in that the run may not have seen: its end must not be trusted to mean idle. */
  readonly woken: () => boolean
  /** Intents were adopted for it (`IntentAdoption`): a running drain takes them now. */
  readonly adopted: () => void
  /**
   * How many adopted intents it would start now without a claim: 0 unless it is draining, caught up
   * (its last claim found nothing more due) and not handing its slot on.
   */
  readonly room: () => number
}

/**
 * One turn of a destination's delivery: claims due intents from Postgres, delivers them within the
 * destination's concurrency and rate limits behind its circuit breaker, and writes the outcomes back
 * in batches, until nothing is due. It exists only while it drains: what a destination keeps
 * between turns is its `Standing`, and waiting for a turn costs nothing (`DestinationDrains`).
 *
 * The drain is one fiber. Requests are undici callbacks, not fibers: the loop starts them, and
 * each answer pushes its flight to `finished` and nudges the loop, which records what finished
 * (breaker, retry schedule, metrics, spans) and hands the outcomes to the writer in one offer. So a
 * delivery costs no fiber, semaphore or Deferred of its own, and the next claim is read while the
 * current requests are out.
 *
 * Every claimed intent ends one of two ways: its attempt's outcome is handed to the writer, or its
 * lease is given back. A failed write gives the lease back too; only a process that dies leaves
 * leases behind, and those lapse within the lease time.
 */
export const makeDestinationWorker = (
  destinationId: DestinationId,
  services: WorkerServices,
  options: {
    readonly standing: Standing
    /** Whether other destinations wait for a turn. */
    readonly contended: () => boolean
    /** Whether this process still owns the destination (its shard has not moved). */
    readonly owned: () => boolean
    /** Takes what was adopted for the destination since last asked (`IntentAdoption`). */
    readonly takeAdopted: () => ReadonlyArray<AdoptedIntents> | undefined
    /** Whether the turn's first pass claims: not when it started for adopted intents, its queue known empty. */
    readonly claimFirst: boolean
  }
): DestinationWorker => {
  const { batcher, breakerConfig, clock, config, destinations, leaseKeeper, queue, sender, tracer, watch, writer } =
    services
  const { contended, owned, standing, takeAdopted } = options
  let claimFirst = options.claimFirst
  const owner = `${processId}:${randomUUID().slice(0, 8)}`
  /** Set when the destination changed, so a running drain re-reads it at once. */
  let reread = false
  /** Intents this worker holds a lease on, with their lease owners: renewed while held, never claimed twice. */
  const claimed = new Map<IntentId, string>()
  /** Held intents whose attempt has begun: their outcome ends them, never a release. */
  const attempting = new Set<IntentId>()
  let dirty = false
  /** Set by a wake: a drain that found the queue empty looks again. */
  let moreWork = false
  /** The earliest retry the outcomes of this drain pass scheduled (epoch ms); those of earlier passes are committed, so claims see them. */
  let earliestRetry = Infinity

  /** Claimed (or adopted) here but not started yet, in due order. */
  let ready: ReadonlyArray<ClaimedIntent> = []
  /** Whether the current pass knows nothing more is due than it holds, and is not handing its slot on. */
  let caughtUp = false

  /** Requests out now; answers not yet recorded; outcomes handed over but not yet committed. */
  let flying = 0
  let finished: Array<Flight> = []
  let uncommitted = 0
  /** Intents whose outcome could not be written: their leases go back. */
  let unwritten: Array<IntentId> = []

  // The drain waits here for a finished request, a commit, a wake or a change: one waiter at most.
  let resumeLoop: (() => void) | undefined
  let nudged = false
  const nudge = () => {
    const resume = resumeLoop
    if (resume === undefined) {
      nudged = true
      return
    }
    resumeLoop = undefined
    resume()
  }
  const progress = Effect.async<void>((resume) => {
    if (nudged) {
      nudged = false
      return resume(Effect.void)
    }
    resumeLoop = () => {
      nudged = false
      resume(Effect.void)
    }
    return Effect.sync(() => {
      resumeLoop = undefined
    })
  })

  /** Whether the destination, as last read, delivers in order (its next due time is then a key head's). */
  let ordered = false

  /** Outcomes are written by the process-wide writer; what remains per drain is the breaker's state. */
  const saveHealth = (schedule: Schedule.Schedule<unknown>) =>
    healthChanged(standing)
      ? persistHealth(standing, destinationId, destinations, config.autoDisableAfterMs).pipe(
        retryTransient(schedule),
        Effect.catchAllCause((cause) => Effect.logWarning("health not saved", cause))
      )
      : Effect.void

  /** The intent is no longer this worker's: committed, or its lease given back. */
  const drop = (intentId: IntentId) => {
    claimed.delete(intentId)
    attempting.delete(intentId)
  }
  const forget = (intentIds: ReadonlyArray<IntentId>) =>
    Effect.sync(() => {
      for (const id of intentIds) drop(id)
    })

  /** Gives leases back; they are no longer held even when the database is away (they lapse instead). */
  const giveBack = (intentIds: ReadonlyArray<IntentId>, schedule: Schedule.Schedule<unknown> = retryDatabase) =>
    intentIds.length === 0 ? Effect.void : queue.release(intentIds, intentIds.map((id) => claimed.get(id) ?? owner)).pipe(
      retryTransient(schedule),
      Effect.catchAllCause((cause) => Effect.logWarning("leases not given back; they will lapse", cause)),
      Effect.ensuring(forget(intentIds))
    )

  /** Heard from the writer for each outcome: committed, the intent is no longer held; failed, its lease goes back. */
  const writtenFor = (intentId: IntentId) => (exit: Exit.Exit<void, SqlError>) => {
    uncommitted--
    if (Exit.isSuccess(exit)) drop(intentId)
    else unwritten.push(intentId)
    nudge()
  }

  const finish = (flight: Flight, result: SendResult) => {
    flight.completedAt = clock.unsafeCurrentTimeMillis()
    flight.result = result
    flight.httpSpan?.end(clock.unsafeCurrentTimeNanos(), Exit.void)
    flying--
    finished.push(flight)
    nudge()
  }

  /** The attempt's outcome recorded on its metrics and span, and made ready for the writer. */
  const submissionOf = (flight: Flight, outcome: AttemptOutcome): Submission => {
    if (outcome.next.status === "retrying") earliestRetry = Math.min(earliestRetry, outcome.next.at.getTime())
    const { error, response } = flight.result
    DeliveryMetrics.countAttempt(
      outcome.next.status === "expired" ? "failed" : outcome.next.status,
      flight.httpSpan === null ? null : flight.completedAt - flight.startedAt
    )
    const span = flight.span
    span.attribute("signal.outcome", outcome.next.status)
    if (response !== null) span.attribute("http.response.status_code", response.statusCode)
    if (error !== null) {
      span.attribute("signal.error_code", error.code)
      if (flight.httpSpan !== null) span.attribute("error.type", error.code)
    }
    span.end(clock.unsafeCurrentTimeNanos(), Exit.void)
    uncommitted++
    return { outcome, written: writtenFor(flight.claim.intentId) }
  }

  /**
   * Records what finished since the last call: the breaker hears each answer, the retry schedule
   * dates each failure, and the outcomes go to the writer in one offer. When all succeeded (the
   * common case) that is one synchronous step, which nothing can interrupt; failures' retry times are
   * effects, so with failures the whole runs uninterruptibly. Either way an answer once in is handed over.
   */
  const recordFinished = (circuit: CircuitBreaker.CircuitBreaker) => {
    const handOver = (): Effect.Effect<void> => {
      const flights = finished
      finished = []
      const submissions: Array<Submission> = []
      let failed: Array<Flight> | undefined
      for (const flight of flights) {
        if (flight.httpSpan !== null) circuit.record(flight.result.ok)
        if (flight.result.ok) submissions.push(submissionOf(flight, outcomeOf(flight, succeededNext)))
        else (failed ??= []).push(flight)
      }
      if (failed === undefined) {
        writer.submit(submissions)
        return Effect.void
      }
      return Effect.forEach(failed, (flight) =>
        Effect.map(failedOutcomeOf(flight), (outcome) => {
          submissions.push(submissionOf(flight, outcome))
        }), { discard: true }).pipe(Effect.zipRight(Effect.sync(() => writer.submit(submissions))))
    }
    const withFailures = Effect.uninterruptible(Effect.suspend(handOver))
    return Effect.suspend(() => finished.every((flight) => flight.result.ok) ? handOver() : withFailures)
  }

  /**
   * Starts one attempt. Past its event's ttl it ends at once as expired; otherwise its request goes
   * out, and its answer (or a defect building or sending it) finishes the flight. Synchronous: it
   * cannot be interrupted between taking its slot and handing the request over.
   */
  const launch = (settings: Settings, claim: ClaimedIntent, decision: CircuitBreaker.Decision | "expired"): void => {
    const span = attemptSpan(tracer, clock, claim)
    const destination = settings.template.destination
    attempting.add(claim.intentId)
    flying++
    const startedAt = clock.unsafeCurrentTimeMillis()
    if (decision === "expired") {
      finish({ claim, destination, span, httpSpan: null, startedAt, completedAt: startedAt, result: expiredResult }, expiredResult)
      return
    }
    span.attribute("signal.circuit_decision", decision)
    const http = httpSpan(tracer, clock, destination, span)
    const flight: Flight = { claim, destination, span, httpSpan: http, startedAt, completedAt: startedAt, result: expiredResult }
    // Every failure, a throw while building or sending included, is a failed attempt under the retry policy.
    try {
      sender.exchange(
        settings.template.target,
        webhookRequest(settings.template, claim, startedAt),
        http,
        (result) => finish(flight, result)
      )
    } catch (defect) {
      finish(flight, failedSend(defect))
    }
  }

  // Made when needed, not with every turn: most turns use the settings they find in `standing`.
  const loadDestination = () => destinations.forDelivery(destinationId).pipe(retryTransient(), Effect.orDie)

  /** Deleted (or never existed): whatever it still had open ends now, counted on its events. */
  const endDeleted = () => queue.endDeleted(destinationId).pipe(retryTransient(), Effect.orDie)

  /**
   * What the current drain pass must do when it ends, however it ends: stop watching, and land what
   * it has out (a pass that ended by itself has nothing out).
   */
  let landing: Effect.Effect<void> = Effect.void
  let unwatch: () => void = () => {}
  const endPass = Effect.suspend(() => {
    unwatch()
    const land = landing
    landing = Effect.void
    return flying === 0 && uncommitted === 0 && finished.length === 0 ? Effect.void : land
  })

  /** Claims and delivers until nothing is due, the circuit opens, or the destination is disabled or deleted. */
  const pass = Effect.gen(function*() {
    // The settings of an earlier turn serve as long as every claim finds the destination's version
    // unchanged: a change the API answered (a rotated secret) applies to the next event's claim.
    let settings: Settings
    if (standing.settings !== undefined) settings = standing.settings
    else {
      const found = yield* loadDestination()
      if (Option.isNone(found)) {
        yield* endDeleted()
        return { _tag: "Stopped" } satisfies DrainEnd
      }
      if (found.value.status !== "active") return { _tag: "Stopped" } satisfies DrainEnd
      settings = yield* settingsOf(standing, found.value, sender)
    }
    ordered = settings.template.destination.ordering === "fifo"
    earliestRetry = Infinity
    let stopped = false
    let deleted = false
    const circuit = yield* breakerOf(standing, settings.template.destination, breakerConfig)
    const leaseMs = config.leaseMs
    // The destination as stored, once a second for every drain of the process together, and at once
    // when the API says it changed (a `Reconfigure`) or a claim found a newer version; applied at the
    // top of the loop.
    let latest: Option.Option<DeliveryDestination> | undefined
    unwatch = watch.watch(destinationId, {
      version: () => settings.version,
      seen: (read) => {
        latest = read
        nudge()
      }
    })
    /** Applies a read of the destination: a stop, or new settings when it changed since. */
    const apply = (read: Option.Option<DeliveryDestination>) => {
      if (Option.isNone(read) || read.value.status !== "active") {
        stopped = true
        deleted = Option.isNone(read)
        standing.settings = undefined
        return Effect.void
      }
      if (read.value.version === settings.version) return Effect.void
      return Effect.map(settingsOf(standing, read.value, sender), (next) => {
        settings = next
        ordered = next.template.destination.ordering === "fifo"
      })
    }

    const record = recordFinished(circuit)
    /**
     * Waits until every request out has its outcome committed: a stopping drain never abandons one,
     * and its leases are renewed until then (another owner would send it again).
     */
    const land = Effect.gen(function*() {
      while (true) {
        if (finished.length > 0) yield* record
        if (flying === 0 && uncommitted === 0) return
        yield* progress
      }
    })
    landing = land

    ready = []
    // A turn started for adopted intents alone knows its queue empty: no claim until a wake says otherwise.
    let exhausted = !claimFirst && !ordered
    claimFirst = true
    let claimedAny = false
    /** When the work the last claim left falls due (epoch ms); `null`: none; `undefined`: not told (ordered). */
    let claimNextDue: number | null | undefined = exhausted ? null : undefined
    const drainStarted = clock.unsafeCurrentTimeMillis()
    let yielding = false
    /** The due retry a claim was last made for, so that one claim goes out per retry falling due. */
    let retryClaimedFor = -Infinity
    /** Adopted intents whose destination changed since the drain read it: given back at the top of the loop. */
    let changedAdopted: Array<IntentId> = []
    /**
     * Takes the intents adopted since last asked, held like claimed ones and started with them. Those
     * whose destination changed since the drain read it go back, to be claimed under the destination
     * as it is now, as a claim's would.
     */
    const adopt = () => {
      const handed = takeAdopted()
      if (handed === undefined) return false
      for (const { intents, version } of handed) {
        for (const intent of intents) claimed.set(intent.intentId, intent.leaseOwner)
        if (version === settings.version) {
          ready = ready.length === 0 ? intents : ready.concat(intents)
          continue
        }
        for (const intent of intents) changedAdopted.push(intent.intentId)
        if (version === null) latest = Option.none()
        else reread = true
        exhausted = false
      }
      return true
    }

    while (true) {
      adopt()
      caughtUp = false
      if (changedAdopted.length > 0) {
        const changed = changedAdopted
        changedAdopted = []
        yield* giveBack(changed)
      }
      if (finished.length > 0) yield* record
      if (reread) {
        reread = false
        latest = yield* loadDestination()
      }
      if (latest !== undefined) {
        const read = latest
        latest = undefined
        yield* apply(read)
      }
      // The shard moved (hand-over or shutdown): nothing new starts here, and what is out lands.
      if (!owned()) stopped = true
      if (unwritten.length > 0) {
        const lost = unwritten
        unwritten = []
        yield* Effect.logError(`outcomes of ${lost.length} intents not written; giving their leases back`)
        yield* giveBack(lost)
      }
      if (stopped) {
        yield* giveBack(ready.map((claim) => claim.intentId))
        yield* land
        if (deleted) yield* endDeleted()
        return { _tag: "Stopped" } satisfies DrainEnd
      }
      const state = circuit.current()
      if (state.status !== "closed") {
        // No new requests while the circuit is not closed: what was claimed goes back, and once the
        // requests out (a probe among them) are answered, the breaker says what happens next.
        if (ready.length > 0) {
          yield* giveBack(ready.map((claim) => claim.intentId))
          ready = []
        }
        if (flying > 0 || finished.length > 0 || uncommitted > 0) {
          yield* progress
          continue
        }
        const since = state.status === "open" ? state.openedAtMs : state.probeStartedAtMs
        const until = since === null ? 0 : since + breakerConfig.coolDownMs
        if (until > clock.unsafeCurrentTimeMillis()) return { _tag: "CircuitOpen", until } satisfies DrainEnd
      }
      const probing = state.status !== "closed"
      if (!yielding && contended() && clock.unsafeCurrentTimeMillis() - drainStarted >= DRAIN_QUANTUM_MS) {
        // Its turn is over: nothing new starts, and once what is out has landed the slot goes on.
        yielding = true
        exhausted = true
        yield* giveBack(ready.map((claim) => claim.intentId))
        ready = []
      }
      if (moreWork && !yielding) {
        moreWork = false
        exhausted = false
      }
      // A retry this pass scheduled fell due: a claim takes it (adopted intents arrive without wakes, so
      // a busy pass would otherwise claim nothing until it ends).
      if (exhausted && !yielding && earliestRetry > retryClaimedFor && earliestRetry <= clock.unsafeCurrentTimeMillis()) {
        retryClaimedFor = earliestRetry
        exhausted = false
      }
      // The next claim is read while the current requests are out, so free slots find work waiting.
      if (ready.length === 0 && !exhausted && !(probing && flying > 0)) {
        const maxConcurrency = settings.template.destination.maxConcurrency
        const limit = probing ? 1 : claimLimit(maxConcurrency)
        // Not interruptible between its statement and the claims joining `claimed`: whatever it
        // leased is then either attempted or given back, never left to lapse.
        const claim = yield* batcher.claim({
          destinationId,
          limit,
          maxBytes: config.claimMaxBytes,
          leaseMs,
          owner,
          held: [...claimed.keys()],
          ordered
        }).pipe(
          Effect.map((claim) => {
            for (const intent of claim.intents) claimed.set(intent.intentId, owner)
            return claim
          }),
          Effect.uninterruptible,
          retryTransient(),
          Effect.orDie
        )
        if (claim.destinationVersion !== settings.version) {
          // Changed (or deleted) since it was read: what was claimed goes back, to be claimed again
          // under the destination as it is now.
          yield* giveBack(claim.intents.map((intent) => intent.intentId))
          if (claim.destinationVersion === null) latest = Option.none()
          else reread = true
          continue
        }
        const claims = claim.intents
        claimNextDue = ordered ? undefined : claim.nextDueAt?.getTime() ?? null
        // Fewer than asked for: nothing more is due now, so no empty claim is read to learn it (a wake
        // says when more was committed; the claim said when the rest falls due).
        if (claims.length < limit) exhausted = true
        if (claims.length > 0) {
          claimedAny = true
          ready = ready.length === 0 ? claims : ready.concat(claims)
        }
      }
      // A slot is taken until the attempt is committed, not just answered: what a crash can send twice
      // is bounded by the destination's concurrency, and so is the writer's backlog.
      const limit = probing ? 1 : settings.template.destination.maxConcurrency
      const unfinished = () => flying + finished.length + uncommitted
      let next = 0
      let rejected = false
      while (next < ready.length && unfinished() < limit) {
        const claim = ready[next++]
        const now = clock.unsafeCurrentTimeMillis()
        if (claim.event.expiresAt !== null && claim.event.expiresAt.getTime() <= now) {
          launch(settings, claim, "expired")
          continue
        }
        const decision = yield* settings.limit(circuit.decide)
        if (decision === "reject") {
          // The circuit opened meanwhile: give the intent back without spending an attempt.
          yield* giveBack([claim.intentId])
          rejected = true
          break
        }
        launch(settings, claim, decision)
      }
      if (next > 0) ready = ready.slice(next)
      caughtUp = exhausted && !yielding && !probing
      if (unfinished() === 0 && ready.length === 0 && unwritten.length === 0) {
        if (yielding) return { _tag: "Yield" } satisfies DrainEnd
        if (exhausted) {
          // adopted since the top of the loop: started in this pass, not left for the next turn
          if (adopt()) continue
          const nextDue = claimNextDue === undefined
            ? undefined
            : Math.min(claimNextDue ?? Infinity, earliestRetry)
          return { _tag: "Idle", claimedAny, nextDue: nextDue === Infinity ? null : nextDue } satisfies DrainEnd
        }
        continue
      }
      const canLaunch = ready.length > 0 && unfinished() < limit
      const canClaim = ready.length === 0 && !exhausted && !(probing && flying > 0)
      if (finished.length === 0 && unwritten.length === 0 && !rejected && !canLaunch && !canClaim) yield* progress
    }
  })
  const drain = () =>
    Effect.ensuring(
      pass,
      Effect.zipRight(
        Effect.sync(() => {
          caughtUp = false
        }),
        endPass
      )
    )

  /** Gives back what this worker holds but never attempted: on shutdown or hand-over nothing waits for a lease to lapse. */
  const releaseClaims = Effect.suspend(() =>
    claimed.size === 0
      ? Effect.void
      : giveBack([...claimed.keys()].filter((id) => !attempting.has(id)), retryDatabaseWhileStopping)
  )

  /** A wait past `maxSleepMs` is left to the sweeper: timers stay few and near. */
  const within = (next: Next & { readonly at: number }): Next =>
    next.at - clock.unsafeCurrentTimeMillis() > config.maxSleepMs ? done : next

  const turn: Effect.Effect<Next> = Effect.gen(function*() {
    while (true) {
      dirty = false
      const end = yield* drain()
      yield* saveHealth(retryDatabase)
      switch (end._tag) {
        case "Stopped":
          return done
        case "Yield":
          return requeue
        case "CircuitOpen":
          return within({ _tag: "Probe", at: end.until })
        case "Idle": {
          if (dirty) continue
          let nextDue = end.nextDue
          if (nextDue === undefined) {
            // Ordered: a key's next intent became claimable as the one before it ended.
            const asked = yield* queue.nextOrderedDueAt(destinationId).pipe(retryTransient(), Effect.orDie)
            nextDue = Option.isNone(asked) ? null : asked.value.getTime()
          }
          if (nextDue === null) return done
          // A backlog that could not be claimed just now (rows locked by another transaction) is not spun on.
          const at = Math.max(nextDue, end.claimedAny ? 0 : clock.unsafeCurrentTimeMillis() + EMPTY_PASS_PAUSE_MS)
          if (at <= clock.unsafeCurrentTimeMillis()) continue
          return within({ _tag: "WakeAt", at })
        }
      }
    }
  })

  // No span of its own: a turn is as short as one delivery under light load, and its attempts join
  // their events' traces (a turn's span was a root trace of its own, next to empty, per turn).
  const run: Effect.Effect<Next> = Effect.suspend(() => {
    // Renewed until the turn ends: it ends only once every outcome is committed or its lease given back.
    const letGo = leaseKeeper.hold(claimed)
    return Effect.onExit(turn, (exit) => {
      // A turn that ended by itself saved the breaker after its last drain: holding nothing, it is done.
      if (Exit.isSuccess(exit) && claimed.size === 0) {
        letGo()
        return Effect.void
      }
      // One cut short saves the breaker now and gives back what it holds.
      return (Exit.isSuccess(exit) ? releaseClaims : Effect.zipRight(saveHealth(retryDatabaseWhileStopping), releaseClaims))
        .pipe(Effect.ensuring(Effect.sync(letGo)))
    })
  })

  return {
    run,
    wake: () => {
      dirty = true
      moreWork = true
      nudge()
    },
    reconfigure: () => {
      reread = true
      nudge()
    },
    woken: () => dirty,
    adopted: nudge,
    room: () => {
      const maxConcurrency = standing.settings?.template.destination.maxConcurrency
      if (!caughtUp || maxConcurrency === undefined) return 0
      return Math.max(0, claimLimit(maxConcurrency) - ready.length - flying - finished.length - uncommitted)
    }
  }
}

/** A turn that leaves nothing to arrange. */
export const done: Next = { _tag: "Done" }
const requeue: Next = { _tag: "Requeue" }
