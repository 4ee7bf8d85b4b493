/**
 * Per-destination circuit breaker: a pure state machine (so the state can be persisted with the
 * destination and shown to operators) plus a small stateful wrapper for the destination's drain.
 */
import { Effect } from "effect"

export interface Config {
  /** Consecutive failures that open the circuit. */
  readonly failureThreshold: number
  /** Share of failures among the recent outcomes that opens the circuit; 0 leaves it to consecutive failures. */
  readonly failureRatio: number
  /** Outcomes the window must hold before the ratio counts, so two early failures do not trip it. */
  readonly minimumRequests: number
  /** How many recent outcomes the ratio is computed over. */
  readonly windowSize: number
  /** How long the circuit stays open before one probe is let through. */
  readonly coolDownMs: number
}

export const defaultConfig: Config = {
  failureThreshold: 5,
  failureRatio: 0.5,
  minimumRequests: 20,
  windowSize: 50,
  coolDownMs: 30_000
}

export type Status = "closed" | "open" | "half_open"

/** `allow`: deliver normally; `probe`: deliver once to test recovery; `reject`: do not deliver now. */
export type Decision = "allow" | "probe" | "reject"

/** Plain data (JSON-safe) so callers can store it with the destination. */
export interface State {
  readonly status: Status
  readonly consecutiveFailures: number
  /** When the circuit last opened; `null` while it has never opened since the last close. */
  readonly openedAtMs: number | null
  /** When the current half-open probe was let through; `null` when no probe is in flight. */
  readonly probeStartedAtMs: number | null
  /** Recent outcomes, oldest first, `true` for a failure; at most `windowSize` long. */
  readonly recentFailures: ReadonlyArray<boolean>
}

export const initialState: State = {
  status: "closed",
  consecutiveFailures: 0,
  openedAtMs: null,
  probeStartedAtMs: null,
  recentFailures: []
}

const startProbe = (state: State, nowMs: number): readonly [Decision, State] => [
  "probe",
  { ...state, status: "half_open", probeStartedAtMs: nowMs }
]

/**
 * Whether a delivery may go out now. Returns the decision and the state to keep: an open circuit
 * past its cool-down turns half-open and hands out a single probe.
 */
export const decide = (state: State, nowMs: number, config: Config = defaultConfig): readonly [Decision, State] => {
  switch (state.status) {
    case "closed":
      return ["allow", state]
    case "open":
      // A persisted open state without a timestamp has no cool-down left to wait for.
      return state.openedAtMs === null || nowMs - state.openedAtMs >= config.coolDownMs
        ? startProbe(state, nowMs)
        : ["reject", state]
    case "half_open":
      // A probe whose outcome never came back (crash, lost fiber) must not wedge the circuit:
      // after another cool-down a new probe is allowed.
      return state.probeStartedAtMs === null || nowMs - state.probeStartedAtMs >= config.coolDownMs
        ? startProbe(state, nowMs)
        : ["reject", state]
  }
}

const open = (state: State, nowMs: number): State => ({
  ...state,
  status: "open",
  openedAtMs: nowMs,
  probeStartedAtMs: null,
  // The window restarts after recovery, so old failures cannot re-trip a freshly closed circuit.
  recentFailures: []
})

/** The state after a delivery finished with `success`. */
export const record = (state: State, success: boolean, nowMs: number, config: Config = defaultConfig): State => {
  switch (state.status) {
    case "half_open":
      return success ? initialState : open({ ...state, consecutiveFailures: state.consecutiveFailures + 1 }, nowMs)
    case "open":
      // Late results of requests sent before the circuit opened neither close nor extend it.
      return state
    case "closed": {
      // A healthy destination's success changes nothing: no new state (this runs per delivery).
      if (success && state.consecutiveFailures === 0 && state.recentFailures.length >= config.windowSize &&
        !state.recentFailures.includes(true)) return state
      const recentFailures = [...state.recentFailures, !success].slice(-config.windowSize)
      const next: State = {
        ...state,
        consecutiveFailures: success ? 0 : state.consecutiveFailures + 1,
        recentFailures
      }
      if (success) return next
      const failures = recentFailures.filter((failed) => failed).length
      const ratioTripped = config.failureRatio > 0 && recentFailures.length >= config.minimumRequests &&
        failures / recentFailures.length >= config.failureRatio
      return next.consecutiveFailures >= config.failureThreshold || ratioTripped ? open(next, nowMs) : next
    }
  }
}

/** A circuit breaker for one destination, timed by the Effect `Clock` (so `TestClock` drives it). */
export interface CircuitBreaker {
  readonly decide: Effect.Effect<Decision>
  /** Hears how a delivery went; a plain call, as the drain records answers in a loop of its own. */
  readonly record: (success: boolean) => void
  /** The state now; a plain call, as the drain reads it on every turn of its loop. */
  readonly current: () => State
}

/** Creates a breaker, optionally resuming from a persisted state. */
export const make = (options?: {
  readonly config?: Partial<Config> | undefined
  readonly state?: State | undefined
}): Effect.Effect<CircuitBreaker> =>
  Effect.gen(function*() {
    const config: Config = { ...defaultConfig, ...options?.config }
    const clock = yield* Effect.clock
    // Read and changed only in synchronous steps, so callers on several fibers still see one probe.
    let state = options?.state ?? initialState
    // Per delivery, so no spans of their own: the caller records the decision on the attempt's span.
    return {
      decide: Effect.sync(() => {
        const [decision, next] = decide(state, clock.unsafeCurrentTimeMillis(), config)
        state = next
        return decision
      }),
      record: (success: boolean) => {
        state = record(state, success, clock.unsafeCurrentTimeMillis(), config)
      },
      current: () => state
    }
  })
