import type { Destination } from "@signal/domain/Destination"
import type { DestinationId } from "@signal/domain/Ids"
import type { DeliveryDestination, DestinationRepo } from "@signal/store/DestinationRepo"
import { Effect, Option, RateLimiter, Scope } from "effect"
import * as CircuitBreaker from "./CircuitBreaker"
import type { HttpSender } from "./HttpSender"
import { type RequestTemplate, requestTemplate } from "./WebhookRequest"

/** What an attempt is made with: the destination as last read (and its version), its request template and rate limit. */
export interface Settings {
  readonly version: string
  readonly template: RequestTemplate
  readonly limit: RateLimiter.RateLimiter
}

/**
 * What a destination keeps between its drains while the process remembers it: its breaker, its rate
 * limit's bucket and its settings (every claim says whether they are still the stored destination's).
 */
export interface Standing {
  settings: Settings | undefined
  breaker: CircuitBreaker.CircuitBreaker | undefined
  /** The breaker as last written to the destination, so an unchanged one is not written again. */
  persistedHealth: string
  limiter: { readonly rate: number | null; readonly apply: RateLimiter.RateLimiter } | undefined
  /** Where the limiter lives (made with it): closed when the process forgets the destination. */
  scope: Scope.CloseableScope | undefined
}

/** Outside any drain: a closure made inside one, kept in `Standing`, would keep the whole turn alive. */
const unlimited: RateLimiter.RateLimiter = (effect) => effect

/** The breaker as the destination stores it, to tell whether it changed since it was last written. */
const healthKey = (status: string, consecutiveFailures: number) => `${status}:${consecutiveFailures}`

/** The destination's breaker, made on first use from the state persisted with the destination. */
export const breakerOf = (standing: Standing, destination: Destination, config: CircuitBreaker.Config) =>
  standing.breaker !== undefined ? Effect.succeed(standing.breaker) : Effect.map(
    CircuitBreaker.make({
      config,
      state: {
        ...CircuitBreaker.initialState,
        status: destination.circuit.state === "closed" ? "closed" : "open",
        consecutiveFailures: destination.circuit.consecutiveFailures,
        openedAtMs: destination.circuit.openedAt === null ? null : Number(destination.circuit.openedAt.epochMillis)
      }
    }),
    (breaker) => {
      standing.breaker = breaker
      standing.persistedHealth = healthKey(destination.circuit.state, destination.circuit.consecutiveFailures)
      return breaker
    }
  )

// The token bucket outlives the turn (a new turn must not start with a full one), rebuilt only when the limit changes.
const limiterOf = Effect.fnUntraced(function*(standing: Standing, rate: number | null) {
  if (standing.limiter?.rate === rate) return standing.limiter.apply
  const apply = rate === null
    ? unlimited
    : yield* RateLimiter.make({ limit: rate, interval: "1 second", algorithm: "token-bucket" }).pipe(
      Scope.extend(standing.scope ??= yield* Scope.make())
    )
  standing.limiter = { rate, apply }
  return apply
})

/** The settings attempts to `destination` (as just read) are made with; kept as the destination's current ones. */
export const settingsOf = (standing: Standing, destination: DeliveryDestination, sender: HttpSender) =>
  Effect.zipWith(
    limiterOf(standing, destination.rateLimitPerSecond),
    sender.target(destination.variant.url),
    (limit, target): Settings => {
      const settings: Settings = { version: destination.version, template: requestTemplate(destination, target), limit }
      standing.settings = settings
      return settings
    }
  )

/** Whether the breaker changed since it was last written to the destination: a plain check, as every turn makes it. */
export const healthChanged = (standing: Standing): boolean => {
  const state = standing.breaker?.current()
  return state !== undefined && healthKey(state.status, state.consecutiveFailures) !== standing.persistedHealth
}

/**
 * Writes the breaker to the destination (as the API shows it) when it changed since last written, and
 * disables a destination that has been failing for `autoDisableAfterMs`.
 */
export const persistHealth = Effect.fnUntraced(function*(
  standing: Standing,
  destinationId: DestinationId,
  destinations: DestinationRepo,
  autoDisableAfterMs: number
) {
  if (standing.breaker === undefined) return
  const state = standing.breaker.current()
  const key = healthKey(state.status, state.consecutiveFailures)
  if (key === standing.persistedHealth) return
  const versions = yield* destinations.recordHealth(destinationId, {
    state: state.status,
    consecutiveFailures: state.consecutiveFailures,
    openedAt: state.openedAtMs === null ? null : new Date(state.openedAtMs),
    failing: state.consecutiveFailures > 0
  })
  standing.persistedHealth = key
  // Its own write is no change to what it delivers with: settings that were current stay current.
  const settings = standing.settings
  if (Option.isSome(versions) && settings?.version === versions.value.before) {
    standing.settings = { ...settings, version: versions.value.after }
  }
  if (state.consecutiveFailures > 0 && (yield* destinations.disableIfFailingFor(destinationId, autoDisableAfterMs))) {
    yield* Effect.logWarning(`destination ${destinationId} disabled after failing continuously`)
  }
})
