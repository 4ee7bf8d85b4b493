import type { Destination } from "@signal/domain/Destination"
import type { DestinationId, IntentId } from "@signal/domain/Ids"
import { makeId } from "@signal/domain/Ids"
import { activeSecrets } from "@signal/domain/SigningSecret"
import { type AttemptOutcome, type ClaimedIntent, DeliveryQueue } from "@signal/store/DeliveryQueue"
import { DestinationRepo } from "@signal/store/DestinationRepo"
import {
  Array,
  Duration,
  Effect,
  FiberSet,
  Option,
  RateLimiter,
  Scope,
  Tracer
} from "effect"
import { randomUUID } from "node:crypto"
import * as CircuitBreaker from "./CircuitBreaker"
import { retryDatabase } from "./DatabaseRetry"
import * as DeliveryMetrics from "./DeliveryMetrics"
import { DispatcherConfig } from "./DispatcherConfig"
import { HttpSender } from "./HttpSender"
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

/** How often a long drain re-reads the signing secrets, so a rotation takes effect without an idle pause. */
const SECRETS_REFRESH_MS = 5_000

/**
 * Everything one destination's entity does: claims due intents from Postgres, delivers them within
 * the destination's concurrency and rate limits behind its circuit breaker, and writes the outcomes
 * back in batches. `wake` runs the drain loop; a wake while it runs only asks for another pass.
 */
export const makeDestinationWorker = Effect.fn("DestinationWorker.make")(function*(destinationId: DestinationId) {
  const queue = yield* DeliveryQueue
  const destinations = yield* DestinationRepo
  const sender = yield* HttpSender
  const config = yield* DispatcherConfig
  const owner = `${processId}:${randomUUID().slice(0, 8)}`
  const writer = yield* OutcomeWriter
  const woken = yield* Effect.makeLatch(false)
  const claimed = new Set<IntentId>()
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

  /** The breaker as the API shows it; written only when it changed. */
  const persistHealth = Effect.fn("DestinationWorker.persistHealth")(function*() {
    if (breaker === undefined) return
    const state = yield* breaker.state
    const key = `${state.status}:${state.consecutiveFailures}`
    if (key === persistedHealth) return
    persistedHealth = key
    yield* destinations.recordHealth(destinationId, {
      state: state.status,
      consecutiveFailures: state.consecutiveFailures,
      openedAt: state.openedAtMs === null ? null : new Date(state.openedAtMs),
      failing: state.consecutiveFailures > 0
    })
    if (state.consecutiveFailures > 0 && (yield* destinations.disableIfFailingFor(destinationId, config.autoDisableAfterMs))) {
      yield* Effect.logWarning(`destination ${destinationId} disabled after failing continuously`)
    }
  })

  /** Outcomes are written by the process-wide writer; what remains per drain is the breaker's state. */
  const saveHealth = persistHealth().pipe(Effect.retry(retryDatabase), Effect.ignore)

  const outcomeOf = (
    destination: Destination,
    claim: ClaimedIntent,
    result: Pick<AttemptOutcome, "succeeded" | "response" | "error" | "startedAt" | "completedAt">
  ): AttemptOutcome => {
    const expiresAt = claim.event.expiresAt
    const retryAt = result.succeeded ? null : nextAttemptAt(destination.retry, claim.attemptNumber, result.completedAt)
    return {
      claim,
      attemptId: makeId.attempt(),
      ...result,
      next: result.succeeded
        ? { status: "succeeded" }
        : retryAt === null || (expiresAt !== null && retryAt > expiresAt)
        ? { status: "failed" }
        : { status: "retrying", at: retryAt }
    }
  }

  const deliverOne = (
    destination: Destination,
    secrets: (at: Date) => Array.NonEmptyReadonlyArray<string>,
    circuit: CircuitBreaker.CircuitBreaker,
    limit: RateLimiter.RateLimiter,
    claim: ClaimedIntent
  ) =>
    Effect.gen(function*() {
      const now = new Date()
      if (claim.event.expiresAt !== null && claim.event.expiresAt <= now) {
        const expired = outcomeOf(destination, claim, {
          succeeded: false,
          response: null,
          error: { code: "expired", message: "the event's ttl ended before delivery" },
          startedAt: now,
          completedAt: now
        })
        yield* Effect.annotateCurrentSpan({ "signal.outcome": expired.next.status, "signal.error_code": "expired" })
        yield* DeliveryMetrics.recordAttempt(expired.next.status, null)
        yield* writer.write(expired)
        claimed.delete(claim.intentId)
        return
      }
      const decision = yield* limit(circuit.decide)
      if (decision === "reject") {
        // The circuit opened meanwhile: give the intent back without spending an attempt.
        yield* queue.release([claim.intentId], owner).pipe(Effect.retry(retryDatabase), Effect.orDie)
        claimed.delete(claim.intentId)
        return
      }
      const startedAt = new Date()
      const result = yield* sender.send(webhookRequest(destination, secrets(startedAt), claim, startedAt))
      const completedAt = new Date()
      yield* circuit.record(result.ok)
      const outcome = outcomeOf(destination, claim, {
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
      yield* DeliveryMetrics.recordAttempt(outcome.next.status, completedAt.getTime() - startedAt.getTime())
      yield* writer.write(outcome)
      claimed.delete(claim.intentId)
    }).pipe(
      Effect.withSpan("Delivery.attempt", {
        kind: "consumer",
        attributes: {
          "signal.event_id": claim.eventId,
          "signal.event_type": claim.event.type,
          "signal.destination_id": claim.destinationId,
          "signal.intent_id": claim.intentId,
          "signal.attempt_number": claim.attemptNumber
        },
        ...Option.match(parentSpan(claim.traceparent), { onNone: () => ({}), onSome: (parent) => ({ parent }) })
      }),
      // A started delivery finishes (bounded by its timeout) so shutdown never leaves a half-known outcome.
      Effect.uninterruptible
    )

  /** Claims and delivers until nothing is due; reports when the circuit allows the next try. */
  const drain = Effect.fn("DestinationWorker.drain")(function*() {
    const found = yield* destinations.forDelivery(destinationId)
    if (Option.isNone(found) || found.value.status !== "active") return Option.none<number>()
    const destination = found.value
    const circuit = yield* breakerFor(destination)
    // Current secret first, then replaced ones until their grace ends (checked at each attempt).
    let signing = { current: destination.webhook.signingSecret, previous: destination.previousSecrets, at: Date.now() }
    const secrets = (at: Date) => activeSecrets(signing.current, signing.previous, at)
    const rateLimit = destination.rateLimitPerSecond
    const limit = yield* limiterFor(rateLimit)
    const claimSize = Math.min(500, Math.max(10, destination.maxConcurrency * 2))
    const leaseMs = config.leaseMs
    const slots = yield* Effect.makeSemaphore(destination.maxConcurrency)
    const inFlight = yield* FiberSet.make()
    yield* Effect.forkScoped(Effect.forever(
      Effect.sleep(Math.floor(leaseMs / 3)).pipe(
        Effect.zipRight(Effect.suspend(() => queue.extendLeases([...claimed], owner, leaseMs))),
        Effect.catchAllCause((cause) => Effect.logWarning("lease renewal failed", cause))
      )
    ))

    while (true) {
      if (Date.now() - signing.at > SECRETS_REFRESH_MS) {
        const latest = yield* destinations.forDelivery(destinationId).pipe(Effect.orElseSucceed(() => Option.none()))
        if (Option.isSome(latest)) {
          signing = { current: latest.value.webhook.signingSecret, previous: latest.value.previousSecrets, at: Date.now() }
        }
      }
      const state = yield* circuit.state
      if (state.status === "open" && state.openedAtMs !== null) {
        const reopensAt = state.openedAtMs + breakerConfig.coolDownMs
        if (reopensAt > Date.now()) {
          yield* FiberSet.awaitEmpty(inFlight)
          return Option.some(reopensAt)
        }
      }
      const claims = yield* queue.claim({ destinationId, limit: claimSize, leaseMs, owner }).pipe(
        Effect.retry(retryDatabase),
        Effect.orDie
      )
      if (claims.length === 0) {
        if ((yield* FiberSet.size(inFlight)) === 0) return Option.none<number>()
        yield* FiberSet.awaitEmpty(inFlight)
        continue
      }
      for (const claim of claims) {
        claimed.add(claim.intentId)
        yield* slots.take(1)
        yield* FiberSet.run(inFlight, deliverOne(destination, secrets, circuit, limit, claim).pipe(Effect.ensuring(slots.release(1))))
      }
    }
  }, Effect.scoped)

  /** Releases whatever this worker still holds: on shutdown or shard hand-over nothing waits for a lease to expire. */
  const releaseClaims = Effect.suspend(() => queue.release([...claimed], owner)).pipe(
    Effect.tap(() => Effect.sync(() => claimed.clear())),
    Effect.ignore
  )

  const run = Effect.gen(function*() {
    while (true) {
      dirty = false
      yield* woken.close
      const circuitReopensAt = yield* drain()
      yield* saveHealth
      if (dirty) continue
      const nextDue = yield* queue.nextDueAt(destinationId).pipe(Effect.retry(retryDatabase), Effect.orDie)
      const candidates = [
        ...Option.toArray(circuitReopensAt),
        ...Option.toArray(Option.map(nextDue, (date) => date.getTime()))
      ]
      if (candidates.length === 0) return
      const waitMs = Math.max(0, Math.min(...candidates) - Date.now())
      if (waitMs > config.maxSleepMs) return
      yield* Effect.raceFirst(Effect.sleep(Duration.millis(waitMs)), woken.await)
    }
  }).pipe(
    Effect.ensuring(Effect.uninterruptible(saveHealth.pipe(Effect.zipRight(releaseClaims)))),
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

  return { wake } as const
})
