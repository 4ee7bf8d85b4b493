import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import * as CircuitBreaker from "../src/CircuitBreaker"

const { decide, defaultConfig, initialState, record } = CircuitBreaker
type State = CircuitBreaker.State

const recordAll = (state: State, outcomes: ReadonlyArray<boolean>, nowMs = 0, config = defaultConfig): State =>
  outcomes.reduce((s, success) => record(s, success, nowMs, config), state)

const failures = (n: number) => Array.from({ length: n }, () => false)
const openAt = (nowMs: number): State => recordAll(initialState, failures(5), nowMs)

describe("CircuitBreaker (pure)", () => {
  it("starts closed and allows", () => {
    expect(initialState).toEqual({
      status: "closed",
      consecutiveFailures: 0,
      openedAtMs: null,
      probeStartedAtMs: null,
      recentFailures: []
    })
    expect(decide(initialState, 0)).toEqual(["allow", initialState])
  })

  it("closed → open after failureThreshold consecutive failures", () => {
    const four = recordAll(initialState, failures(4), 1_000)
    expect(four.status).toBe("closed")
    expect(four.consecutiveFailures).toBe(4)
    const five = record(four, false, 1_000)
    expect(five.status).toBe("open")
    expect(five.consecutiveFailures).toBe(5)
    expect(five.openedAtMs).toBe(1_000)
  })

  it("a success resets the consecutive count", () => {
    const state = recordAll(initialState, [false, false, false, false, true, false, false, false, false])
    expect(state.status).toBe("closed")
    expect(state.consecutiveFailures).toBe(4)
  })

  it("closed → open when the failure ratio is reached with enough requests", () => {
    // Alternate so the consecutive threshold never trips: 10 failures in 20 = 0.5.
    const alternating = Array.from({ length: 20 }, (_, i) => i % 2 === 0)
    const nineteen = recordAll(initialState, alternating.slice(0, 19), 5)
    expect(nineteen.status).toBe("closed")
    const twenty = record(nineteen, alternating[19] ?? false, 5)
    expect(twenty.status).toBe("open")
    expect(twenty.openedAtMs).toBe(5)
    expect(twenty.consecutiveFailures).toBe(1)
  })

  it("a failure ratio of 0 leaves opening to consecutive failures", () => {
    const alternating = Array.from({ length: 100 }, (_, i) => i % 2 === 0)
    expect(recordAll(initialState, alternating, 1_000).status).toBe("open")
    const onlyConsecutive = { ...defaultConfig, failureRatio: 0 }
    const kept = recordAll(initialState, alternating, 1_000, onlyConsecutive)
    expect(kept.status).toBe("closed")
    expect(recordAll(kept, failures(5), 1_000, onlyConsecutive).status).toBe("open")
  })

  it("the ratio needs minimumRequests outcomes in the window", () => {
    // 4 failures out of 8 (≥ 0.5) but below minimumRequests: stays closed.
    const state = recordAll(initialState, [true, false, true, false, true, false, true, false])
    expect(state.status).toBe("closed")
    expect(state.recentFailures).toHaveLength(8)
  })

  it("a success leaves a full, healthy window as it is (the same state), and a failure still counts", () => {
    const config = { ...defaultConfig, windowSize: 10 }
    const healthy = recordAll(initialState, Array.from({ length: 10 }, () => true), 0, config)
    expect(record(healthy, true, 5, config)).toBe(healthy)
    const failed = record(healthy, false, 5, config)
    expect(failed.consecutiveFailures).toBe(1)
    expect(failed.recentFailures).toEqual([...Array.from({ length: 9 }, () => false), true])
    // With a failure in the window, a success moves the window on.
    const next = record(failed, true, 6, config)
    expect(next).not.toBe(failed)
    expect(next.recentFailures).toEqual([...Array.from({ length: 8 }, () => false), true, false])
  })

  it("the ratio is computed over the last windowSize outcomes only", () => {
    const config = { ...defaultConfig, windowSize: 10, minimumRequests: 10, failureThreshold: 100 }
    // 40 successes long ago, then 4 failures in the last 10 outcomes.
    let state = recordAll(initialState, Array.from({ length: 40 }, () => true), 0, config)
    state = recordAll(state, [false, true, false, true, false, true, false, true], 0, config)
    expect(state.recentFailures).toHaveLength(10)
    expect(state.status).toBe("closed")
    // One more failure makes the window 5/10 and opens, although overall it is only 5/49.
    expect(record(state, false, 0, config).status).toBe("open")
  })

  it("open rejects until the cool-down has passed", () => {
    const open = openAt(1_000)
    expect(decide(open, 1_000)[0]).toBe("reject")
    expect(decide(open, 1_000 + 29_999)).toEqual(["reject", open])
  })

  it("open → half_open after the cool-down, with exactly one probe at a time", () => {
    const open = openAt(1_000)
    const [decision, halfOpen] = decide(open, 31_000)
    expect(decision).toBe("probe")
    expect(halfOpen.status).toBe("half_open")
    expect(halfOpen.probeStartedAtMs).toBe(31_000)
    expect(decide(halfOpen, 31_001)[0]).toBe("reject")
    expect(decide(halfOpen, 60_999)[0]).toBe("reject")
  })

  it("a probe that never reports back is replaced after another cool-down", () => {
    const [, halfOpen] = decide(openAt(0), 30_000)
    const [decision, next] = decide(halfOpen, 60_000)
    expect(decision).toBe("probe")
    expect(next.probeStartedAtMs).toBe(60_000)
  })

  it("half_open → closed on a successful probe, fully reset", () => {
    const [, halfOpen] = decide(openAt(0), 30_000)
    const closed = record(halfOpen, true, 30_500)
    expect(closed).toEqual(initialState)
    expect(decide(closed, 30_501)[0]).toBe("allow")
  })

  it("half_open → open on a failed probe, with a fresh cool-down", () => {
    const [, halfOpen] = decide(openAt(0), 30_000)
    const reopened = record(halfOpen, false, 30_500)
    expect(reopened.status).toBe("open")
    expect(reopened.openedAtMs).toBe(30_500)
    expect(reopened.probeStartedAtMs).toBeNull()
    expect(reopened.consecutiveFailures).toBe(6)
    expect(decide(reopened, 60_000)[0]).toBe("reject")
    expect(decide(reopened, 60_500)[0]).toBe("probe")
  })

  it("late results while open change nothing", () => {
    const open = openAt(0)
    expect(record(open, true, 10)).toBe(open)
    expect(record(open, false, 10)).toBe(open)
  })

  it("state is plain JSON and survives a round trip", () => {
    const [, halfOpen] = decide(recordAll(initialState, [true, false, true, ...failures(5)], 7), 40_000)
    const restored: State = JSON.parse(JSON.stringify(halfOpen))
    expect(restored).toEqual(halfOpen)
    expect(decide(restored, 40_001)[0]).toBe("reject")
  })
})

describe("CircuitBreaker.make", () => {
  it.effect("drives the state machine from the Effect clock", () =>
    Effect.gen(function*() {
      const breaker = yield* CircuitBreaker.make({ config: { failureThreshold: 2, coolDownMs: 1_000 } })
      expect(yield* breaker.decide).toBe("allow")
      breaker.record(false)
      breaker.record(false)
      expect(breaker.current().status).toBe("open")
      expect(yield* breaker.decide).toBe("reject")

      yield* TestClock.adjust("1 second")
      expect(yield* breaker.decide).toBe("probe")
      expect(yield* breaker.decide).toBe("reject")
      breaker.record(true)
      expect(breaker.current()).toEqual(CircuitBreaker.initialState)
      expect(yield* breaker.decide).toBe("allow")
    }))

  it.effect("concurrent callers get a single probe", () =>
    Effect.gen(function*() {
      const breaker = yield* CircuitBreaker.make({ state: openAt(0) })
      yield* TestClock.adjust("30 seconds")
      const decisions = yield* Effect.all(Array.from({ length: 20 }, () => breaker.decide), { concurrency: "unbounded" })
      expect(decisions.filter((d) => d === "probe")).toHaveLength(1)
      expect(decisions.filter((d) => d === "reject")).toHaveLength(19)
    }))

  it.effect("resumes from a persisted state", () =>
    Effect.gen(function*() {
      yield* TestClock.adjust("10 seconds")
      const breaker = yield* CircuitBreaker.make({ state: openAt(0) })
      expect(yield* breaker.decide).toBe("reject")
      yield* TestClock.adjust("20 seconds")
      expect(yield* breaker.decide).toBe("probe")
      breaker.record(false)
      const state = breaker.current()
      expect(state.status).toBe("open")
      expect(state.openedAtMs).toBe(30_000)
    }))
})
