import type { Destination } from "@signal/domain/Destination"
import type { DestinationId, IntentId } from "@signal/domain/Ids"
import { makeId } from "@signal/domain/Ids"
import { activeSecrets } from "@signal/domain/SigningSecret"
import { type AttemptOutcome, type ClaimedIntent, DeliveryQueue } from "@signal/store/DeliveryQueue"
import { type DeliveryDestination, DestinationRepo } from "@signal/store/DestinationRepo"
import {
  Array,
  Clock,
  Duration,
  Effect,
  FiberSet,
  Option,
  RateLimiter,
  type Schedule,
  Scope,
  Tracer
} from "effect"
import { randomUUID } from "node:crypto"
import * as CircuitBreaker from "./CircuitBreaker"
import { retryDatabase, retryDatabaseWhileStopping, retryTransient } from "./DatabaseRetry"
import * as DeliveryMetrics from "./DeliveryMetrics"
import { DispatcherConfig } from "./DispatcherConfig"
import { failedSend, HttpSender } from "./HttpSender"
import { OutcomeWriter } from "./OutcomeWriter"
import { nextAttemptAt } from "./RetrySchedule"
import { webhookRequest } from "./WebhookRequest"

/** Identifies this process's leases, so a release never touches another worker's claims. */
const processId = randomUUID().slice(0, 8)

/** Parses a stored W3C traceparent so an attempt made much later still joins the ingest trace. */
const parentSpan = (traceparent: string | null): Option.Option<Tracer.ExternalSpan> => {
  const match = traceparent?.match(/^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/)
  return match
    ? Option.some(Tracer.externalSpan({ traceId: match[1], spanId: match[2], sampled: match[3] === "01" }))
    : Option.none()
}

/**
 * How often a running drain re-reads its destination, so a disable, delete, URL, header, limit,
 * retry policy or secret change applies to the next attempt within about this long.
 */
const DESTINATION_REFRESH = Duration.seconds(1)

/** A pass that found nothing to claim waits at least this long before looking again. */
const EMPTY_PASS_PAUSE_MS = 50

/** What a drain pass ended with, and so what the loop does next. */
type DrainEnd =
  /** Nothing claimable now; `claimedAny` tells whether the pass did any work. */
  | { readonly _tag: "Idle"; readonly claimedAny: boolean }
  /** The destination is gone or disabled: nothing to do until something changes it. */
  | { readonly _tag: "Stopped" }
  /** The circuit is open: nothing may be sent before `until` (epoch ms), when one probe goes out. */
  | { readonly _tag: "CircuitOpen"; readonly until: number }

/** What an attempt is made with: the destination as last read, its signing secrets and rate limit. */
interface Settings {
  readonly destination: Destination
  readonly secrets: (at: Date) => Array.NonEmptyReadonlyArray<string>
  readonly limit: RateLimiter.RateLimiter
}

/**
 * Everything one destination's entity does: claims due intents from Postgres, delivers them within
 * the destination's concurrency and rate limits behind its circuit breaker, and writes the outcomes
 * back in batches. `wake` runs the drain loop; a wake while it runs only asks for another pass.
 *
 * Every claimed intent ends one of two ways: its attempt's outcome is handed to the writer, or its
 * lease is given back. A failed write gives the lease back too; only a process that dies leaves
 * leases behind, and those lapse within the lease time.
 */
export const makeDestinationWorker = Effect.fn("DestinationWorker.make")(function*(destinationId: DestinationId) {
  const queue = yield* DeliveryQueue
  const destinations = yield* DestinationRepo
  const sender = yield* HttpSender
  const config = yield* DispatcherConfig
  const owner = `${processId}:${randomUUID().slice(0, 8)}`
  const writer = yield* OutcomeWriter
  const woken = yield* Effect.makeLatch(false)
  /** Opened when the destination changed, so a running drain re-reads it at once. */
  const changed = yield* Effect.makeLatch(false)
  /** Intents this worker holds a lease on: renewed while held, never claimed twice. */
  const claimed = new Set<IntentId>()
  /** Held intents whose attempt has begun: their outcome ends them, never a release. */
  const attempting = new Set<IntentId>()
  const breakerConfig = {
    ...CircuitBreaker.defaultConfig,
    failureThreshold: config.circuitFailureThreshold,
    coolDownMs: config.circuitCoolDownMs
  }
  let breaker: CircuitBreaker.CircuitBreaker | undefined
  let persistedHealth = ""
  let running = false
  let dirty = false

  const breakerFor = Effect.fn("DestinationWorker.breaker")(function*(destination: Destination) {
    if (breaker !== undefined) return breaker
    const persisted = destination.circuit
    breaker = yield* CircuitBreaker.make({
      config: breakerConfig,
      state: {
        ...CircuitBreaker.initialState,
        status: persisted.state === "closed" ? "closed" : "open",
        consecutiveFailures: persisted.consecutiveFailures,
        openedAtMs: persisted.openedAt === null ? null : Number(persisted.openedAt.epochMillis)
      }
    })
    persistedHealth = `${persisted.state}:${persisted.consecutiveFailures}`
    return breaker
  })

  // One token bucket per entity lifetime (not per drain), rebuilt only when the limit changes.
  const scope = yield* Effect.scope
  let limiter: { readonly rate: number | null; readonly apply: RateLimiter.RateLimiter } | undefined
  const unlimited: RateLimiter.RateLimiter = (effect) => effect
  const limiterFor = Effect.fn("DestinationWorker.limiter")(function*(rate: number | null) {
    if (limiter?.rate === rate) return limiter.apply
    const apply = rate === null
      ? unlimited
      : yield* RateLimiter.make({ limit: rate, interval: "1 second", algorithm: "token-bucket" }).pipe(Scope.extend(scope))
    limiter = { rate, apply }
    return apply
  })

  const settingsFor = (destination: DeliveryDestination) =>
    Effect.map(limiterFor(destination.rateLimitPerSecond), (limit): Settings => ({
      destination,
      // Current secret first, then replaced ones until their grace ends (checked at each attempt).
      secrets: (at) => activeSecrets(destination.webhook.signingSecret, destination.previousSecrets, at),
      limit
    }))

  /** The breaker as the API shows it; written only when it changed. */
  const persistHealth = Effect.fn("DestinationWorker.persistHealth")(function*() {
    if (breaker === undefined) return
    const state = yield* breaker.state
    const key = `${state.status}:${state.consecutiveFailures}`
    if (key === persistedHealth) return
    yield* destinations.recordHealth(destinationId, {
      state: state.status,
      consecutiveFailures: state.consecutiveFailures,
      openedAt: state.openedAtMs === null ? null : new Date(state.openedAtMs),
      failing: state.consecutiveFailures > 0
    })
    persistedHealth = key
    if (state.consecutiveFailures > 0 && (yield* destinations.disableIfFailingFor(destinationId, config.autoDisableAfterMs))) {
      yield* Effect.logWarning(`destination ${destinationId} disabled after failing continuously`)
    }
  })

  /** Outcomes are written by the process-wide writer; what remains per drain is the breaker's state. */
  const saveHealth = (schedule: Schedule.Schedule<unknown>) =>
    persistHealth().pipe(retryTransient(schedule), Effect.catchAllCause((cause) => Effect.logWarning("health not saved", cause)))

  const forget = (intentIds: ReadonlyArray<IntentId>) =>
    Effect.sync(() => {
      for (const id of intentIds) {
        claimed.delete(id)
        attempting.delete(id)
      }
    })

  /** Gives leases back; they are no longer held even when the database is away (they lapse instead). */
  const giveBack = (intentIds: ReadonlyArray<IntentId>, schedule: Schedule.Schedule<unknown> = retryDatabase) =>
    queue.release(intentIds, owner).pipe(
      retryTransient(schedule),
      Effect.catchAllCause((cause) => Effect.logWarning("leases not given back; they will lapse", cause)),
      Effect.ensuring(forget(intentIds))
    )

  const outcomeOf = (
    destination: Destination,
    claim: ClaimedIntent,
    result: Pick<AttemptOutcome, "succeeded" | "response" | "error" | "startedAt" | "completedAt">
  ): Effect.Effect<AttemptOutcome> => {
    const outcome = (next: AttemptOutcome["next"]): AttemptOutcome => ({ claim, attemptId: makeId.attempt(), ...result, next })
    if (result.succeeded) return Effect.succeed(outcome({ status: "succeeded" }))
    // The destination's retry schedule says when; past the event's ttl there is no next attempt.
    const expiresAt = claim.event.expiresAt
    return Effect.map(nextAttemptAt(destination.retry, claim.attemptNumber, result.completedAt), (retryAt) =>
      outcome(
        retryAt === null || (expiresAt !== null && retryAt > expiresAt)
          ? { status: "failed" }
          : { status: "retrying", at: retryAt }
      ))
  }

  /**
   * Hands the outcome to the writer (not interruptible: a started attempt is always recorded) and
   * waits for its commit (interruptible: a stopping process does not wait on a database that is away).
   * Once committed the intent is no longer held; a write that failed gives its lease back.
   */
  const record = (outcome: AttemptOutcome, restore: <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>) =>
    Effect.gen(function*() {
      const { intentId } = outcome.claim
      attempting.add(intentId)
      yield* DeliveryMetrics.recordAttempt(
        outcome.next.status,
        outcome.error?.code === "expired" ? null : outcome.completedAt.getTime() - outcome.startedAt.getTime()
      )
      const committed = yield* writer.submit(outcome)
      yield* restore(committed.pipe(
        Effect.zipRight(forget([intentId])),
        Effect.catchAll((error) =>
          Effect.logError(`outcome of ${intentId} not written; giving its lease back`, error).pipe(
            Effect.zipRight(giveBack([intentId]))
          )
        )
      ))
    })

  const deliverOne = (settings: Settings, circuit: CircuitBreaker.CircuitBreaker, claim: ClaimedIntent) =>
    Effect.uninterruptibleMask((restore) =>
      Effect.gen(function*() {
        const destination = settings.destination
        const now = new Date(yield* Clock.currentTimeMillis)
        if (claim.event.expiresAt !== null && claim.event.expiresAt <= now) {
          const expired = yield* outcomeOf(destination, claim, {
            succeeded: false,
            response: null,
            error: { code: "expired", message: "the event's ttl ended before delivery" },
            startedAt: now,
            completedAt: now
          })
          yield* Effect.annotateCurrentSpan({ "signal.outcome": expired.next.status, "signal.error_code": "expired" })
          return yield* record(expired, restore)
        }
        const decision = yield* settings.limit(circuit.decide)
        if (decision === "reject") {
          // The circuit opened meanwhile: give the intent back without spending an attempt.
          return yield* giveBack([claim.intentId])
        }
        attempting.add(claim.intentId)
        const startedAt = new Date(yield* Clock.currentTimeMillis)
        // Every failure, a throw of the HTTP stack included, is a failed attempt under the retry policy.
        const result = yield* Effect.suspend(() =>
          sender.send(webhookRequest(destination, settings.secrets(startedAt), claim, startedAt))
        ).pipe(Effect.catchAllDefect((defect) => Effect.succeed(failedSend(defect))))
        const completedAt = new Date(yield* Clock.currentTimeMillis)
        yield* circuit.record(result.ok)
        const outcome = yield* outcomeOf(destination, claim, {
          succeeded: result.ok,
          response: result.response,
          error: result.error,
          startedAt,
          completedAt
        })
        yield* Effect.annotateCurrentSpan({
          "signal.outcome": outcome.next.status,
          ...(result.response === null ? {} : { "http.response.status_code": result.response.statusCode }),
          ...(result.error === null ? {} : { "signal.error_code": result.error.code, "error.type": result.error.code })
        })
        yield* record(outcome, restore)
      }).pipe(
        // Whatever else goes wrong in this delivery, its lease is given back and nothing else notices.
        Effect.catchAllDefect((defect) =>
          Effect.logError(`delivery of ${claim.intentId} failed unexpectedly; giving its lease back`, defect).pipe(
            Effect.zipRight(giveBack([claim.intentId]))
          )
        ),
        Effect.withSpan("Delivery.attempt", {
          kind: "consumer",
          captureStackTrace: false,
          attributes: {
            "signal.event_id": claim.eventId,
            "signal.event_type": claim.event.type,
            "signal.destination_id": claim.destinationId,
            "signal.intent_id": claim.intentId,
            "signal.attempt_number": claim.attemptNumber
          },
          ...Option.match(parentSpan(claim.traceparent), { onNone: () => ({}), onSome: (parent) => ({ parent }) })
        })
      )
    )

  const loadDestination = destinations.forDelivery(destinationId).pipe(retryTransient(), Effect.orDie)

  /** Claims and delivers until nothing is due, the circuit opens, or the destination is disabled or deleted. */
  const drain = Effect.fn("DestinationWorker.drain")(function*() {
    const found = yield* loadDestination
    if (Option.isNone(found)) {
      // Deleted (or never existed): whatever it still had open ends now, counted on its events.
      yield* queue.endDeleted(destinationId).pipe(retryTransient(), Effect.orDie)
      return { _tag: "Stopped" } satisfies DrainEnd
    }
    if (found.value.status !== "active") return { _tag: "Stopped" } satisfies DrainEnd
    let settings = yield* settingsFor(found.value)
    let stopped = false
    const circuit = yield* breakerFor(found.value)
    const leaseMs = config.leaseMs
    // Forked before the deliveries' set, so it is stopped after they finished: leases stay renewed
    // until the last in-flight delivery has its outcome.
    yield* Effect.forkScoped(Effect.forever(
      Effect.sleep(Math.floor(leaseMs / 3)).pipe(
        Effect.zipRight(Effect.suspend(() => queue.extendLeases([...claimed], owner, leaseMs))),
        Effect.catchAllCause((cause) => Effect.logWarning("lease renewal failed", cause))
      )
    ))
    const slots = yield* Effect.makeSemaphore(settings.destination.maxConcurrency)
    yield* Effect.forkScoped(Effect.forever(
      Effect.raceFirst(Effect.sleep(DESTINATION_REFRESH), changed.await).pipe(
        Effect.zipRight(changed.close),
        Effect.zipRight(destinations.forDelivery(destinationId)),
        Effect.flatMap((latest) => {
          if (Option.isNone(latest) || latest.value.status !== "active") {
            stopped = true
            return Effect.void
          }
          const resize = latest.value.maxConcurrency === settings.destination.maxConcurrency
            ? Effect.void
            : slots.resize(latest.value.maxConcurrency)
          return resize.pipe(
            Effect.zipRight(settingsFor(latest.value)),
            Effect.map((next) => {
              settings = next
            })
          )
        }),
        Effect.catchAllCause((cause) => Effect.logWarning("destination refresh failed", cause))
      )
    ))
    const inFlight = yield* FiberSet.make()
    let claimedAny = false

    while (true) {
      if (stopped) {
        yield* FiberSet.awaitEmpty(inFlight)
        return { _tag: "Stopped" } satisfies DrainEnd
      }
      const state = yield* circuit.state
      if (state.status !== "closed") {
        // No claims while a probe is out: its outcome decides what happens to the queue.
        yield* FiberSet.awaitEmpty(inFlight)
        const settled = yield* circuit.state
        const since = settled.status === "open" ? settled.openedAtMs : settled.status === "half_open" ? settled.probeStartedAtMs : null
        const until = since === null ? 0 : since + breakerConfig.coolDownMs
        if (settled.status !== "closed" && until > (yield* Clock.currentTimeMillis)) {
          return { _tag: "CircuitOpen", until } satisfies DrainEnd
        }
      }
      const probing = (yield* circuit.state).status !== "closed"
      const claims = yield* queue.claim({
        destinationId,
        limit: probing ? 1 : Math.min(500, Math.max(10, settings.destination.maxConcurrency * 2)),
        maxBytes: config.claimMaxBytes,
        leaseMs,
        owner,
        held: [...claimed]
      }).pipe(retryTransient(), Effect.orDie)
      if (claims.length === 0) {
        if ((yield* FiberSet.size(inFlight)) === 0) return { _tag: "Idle", claimedAny } satisfies DrainEnd
        yield* FiberSet.awaitEmpty(inFlight)
        continue
      }
      claimedAny = true
      for (const claim of claims) claimed.add(claim.intentId)
      for (let i = 0; i < claims.length; i++) {
        yield* slots.take(1)
        if (stopped || (!probing && (yield* circuit.state).status === "open")) {
          // Disabled, deleted or failing meanwhile: what has not started goes back in one statement.
          yield* slots.release(1)
          yield* giveBack(claims.slice(i).map((claim) => claim.intentId))
          break
        }
        yield* FiberSet.run(inFlight, deliverOne(settings, circuit, claims[i]).pipe(Effect.ensuring(slots.release(1))))
      }
    }
  }, Effect.scoped)

  /** Gives back what this worker holds but never attempted: on shutdown or hand-over nothing waits for a lease to lapse. */
  const releaseClaims = Effect.suspend(() =>
    giveBack([...claimed].filter((id) => !attempting.has(id)), retryDatabaseWhileStopping)
  )

  const run = Effect.gen(function*() {
    while (true) {
      dirty = false
      yield* woken.close
      const end = yield* drain()
      yield* saveHealth(retryDatabase)
      if (end._tag === "Stopped") return
      if (end._tag === "CircuitOpen") {
        // Nothing may be sent before the probe, whatever is queued or woken meanwhile: sleep until then.
        const waitMs = end.until - (yield* Clock.currentTimeMillis)
        if (waitMs > config.maxSleepMs) return
        yield* Effect.sleep(Duration.millis(waitMs))
        continue
      }
      if (dirty) continue
      const nextDue = yield* queue.nextDueAt(destinationId).pipe(retryTransient(), Effect.orDie)
      if (Option.isNone(nextDue)) return
      const untilDue = nextDue.value.getTime() - (yield* Clock.currentTimeMillis)
      // A backlog that could not be claimed just now (rows locked by another transaction) is not spun on.
      const waitMs = Math.max(untilDue, end.claimedAny ? 0 : EMPTY_PASS_PAUSE_MS)
      if (waitMs > config.maxSleepMs) return
      yield* Effect.raceFirst(Effect.sleep(Duration.millis(waitMs)), woken.await)
    }
  }).pipe(
    Effect.ensuring(Effect.uninterruptible(saveHealth(retryDatabaseWhileStopping).pipe(Effect.zipRight(releaseClaims)))),
    Effect.withSpan("DestinationWorker.run", { attributes: { "signal.destination_id": destinationId } })
  )

  /**
   * Starts the loop in the entity's own scope and returns at once: the entity is not held busy by a
   * long request, and when it stops (idle, shard hand-over, shutdown) the loop is interrupted there,
   * letting started deliveries finish and giving back whatever it still had claimed.
   */
  const wake = Effect.suspend(() => {
    if (running) {
      dirty = true
      return woken.open
    }
    running = true
    return run.pipe(
      Effect.catchAllCause((cause) => Effect.logWarning("delivery loop stopped; the sweeper will restart it", cause)),
      Effect.ensuring(Effect.sync(() => {
        running = false
      })),
      Effect.forkIn(scope),
      Effect.asVoid
    )
  })

  /** The destination changed: a running drain re-reads it now; otherwise the loop starts and reads it fresh. */
  const reconfigure = Effect.suspend(() => running ? changed.open : wake)

  return { wake, reconfigure } as const
})
