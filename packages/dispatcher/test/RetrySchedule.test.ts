import { describe, expect, it } from "@effect/vitest"
import { Clock, Duration, Effect, Exit, Fiber, Random, Ref, TestClock } from "effect"
import { maxRetryDelay, nextAttemptAt, retryDelay, retrySchedule } from "../src/RetrySchedule"

const linear = { type: "linear", delaySeconds: 60, maxAttempts: 5 } as const
const exponential = { type: "exponential", delaySeconds: 30, maxAttempts: 8 } as const
const seconds = (d: Duration.Duration) => Duration.toMillis(d) / 1000
const noJitter = () => 0.5

describe("retryDelay", () => {
  it("linear is delay × n", () => {
    expect([1, 2, 3, 4].map((n) => seconds(retryDelay(linear, n, noJitter)))).toEqual([60, 120, 180, 240])
  })

  it("exponential is delay × 2^(n−1)", () => {
    expect([1, 2, 3, 4, 5].map((n) => seconds(retryDelay(exponential, n, noJitter)))).toEqual([30, 60, 120, 240, 480])
  })

  it("jitter stays within ±20 %", () => {
    expect(seconds(retryDelay(linear, 2, () => 0))).toBe(96)
    expect(seconds(retryDelay(linear, 2, () => 1))).toBe(144)
    expect(seconds(retryDelay(exponential, 3, () => 0))).toBe(96)
    expect(seconds(retryDelay(exponential, 3, () => 1))).toBe(144)
    const samples = Array.from({ length: 500 }, () => seconds(retryDelay(exponential, 4)))
    for (const s of samples) {
      expect(s).toBeGreaterThanOrEqual(192)
      expect(s).toBeLessThanOrEqual(288)
    }
    // jitter actually varies
    expect(new Set(samples).size).toBeGreaterThan(1)
  })

  it("is capped at 24 hours, jitter included", () => {
    expect(Duration.toHours(maxRetryDelay)).toBe(24)
    const big = { type: "exponential", delaySeconds: 3600, maxAttempts: 100 } as const
    expect(seconds(retryDelay(big, 5, noJitter))).toBe(16 * 3600)
    expect(retryDelay(big, 6, noJitter)).toStrictEqual(maxRetryDelay)
    expect(retryDelay(big, 99, () => 1)).toStrictEqual(maxRetryDelay)
    expect(retryDelay({ type: "linear", delaySeconds: 86_400, maxAttempts: 3 }, 2, () => 1)).toStrictEqual(maxRetryDelay)
  })
})

describe("nextAttemptAt", () => {
  const now = new Date("2025-01-01T00:00:00.000Z")

  it("is now before the first attempt", () => {
    expect(nextAttemptAt(linear, 0, now)).toEqual(now)
  })

  it("adds the delay for the attempts made so far", () => {
    expect(nextAttemptAt(linear, 1, now, noJitter)).toEqual(new Date("2025-01-01T00:01:00.000Z"))
    expect(nextAttemptAt(linear, 3, now, noJitter)).toEqual(new Date("2025-01-01T00:03:00.000Z"))
    expect(nextAttemptAt(exponential, 4, now, noJitter)).toEqual(new Date("2025-01-01T00:04:00.000Z"))
    const jittered = nextAttemptAt(exponential, 2, now)
    expect(jittered).not.toBeNull()
    const offset = (jittered?.getTime() ?? 0) - now.getTime()
    expect(offset).toBeGreaterThanOrEqual(48_000)
    expect(offset).toBeLessThanOrEqual(72_000)
  })

  it("stops at maxAttempts", () => {
    expect(nextAttemptAt(linear, 4, now, noJitter)).not.toBeNull()
    expect(nextAttemptAt(linear, 5, now)).toBeNull()
    expect(nextAttemptAt(linear, 6, now)).toBeNull()
    expect(nextAttemptAt({ type: "linear", delaySeconds: 1, maxAttempts: 1 }, 1, now)).toBeNull()
  })
})

/** Runs an always-failing effect under `retrySchedule` and returns when (in ms) each execution ran. */
const runToExhaustion = (policy: Parameters<typeof retrySchedule>[0]) =>
  Effect.gen(function*() {
    const executions = yield* Ref.make<Array<number>>([])
    const attempt = Clock.currentTimeMillis.pipe(
      Effect.flatMap((now) => Ref.update(executions, (times) => [...times, now])),
      Effect.zipRight(Effect.fail("boom" as const))
    )
    const fiber = yield* Effect.fork(Effect.retry(attempt, retrySchedule(policy)))
    // Far past the last possible retry; TestClock fires every sleep on the way in order.
    yield* TestClock.adjust(Duration.times(maxRetryDelay, policy.maxAttempts + 1))
    const exit = yield* Fiber.await(fiber)
    return { exit, times: yield* Ref.get(executions) }
  })

const gaps = (times: ReadonlyArray<number>) => times.slice(1).map((t, i) => (t - (times[i] ?? 0)) / 1000)

describe("retrySchedule", () => {
  it.effect("runs exactly maxAttempts times at exponential spacing", () =>
    Effect.gen(function*() {
      const { exit, times } = yield* runToExhaustion({ type: "exponential", delaySeconds: 10, maxAttempts: 5 })
      expect(exit).toStrictEqual(Exit.fail("boom"))
      expect(times).toHaveLength(5)
      expect(times[0]).toBe(0)
      expect(gaps(times)).toEqual([10, 20, 40, 80])
    }).pipe(Effect.withRandom(Random.fixed([0.5]))))

  it.effect("runs exactly maxAttempts times at linear spacing", () =>
    Effect.gen(function*() {
      const { exit, times } = yield* runToExhaustion(linear)
      expect(Exit.isFailure(exit)).toBe(true)
      expect(times).toHaveLength(5)
      expect(gaps(times)).toEqual([60, 120, 180, 240])
    }).pipe(Effect.withRandom(Random.fixed([0.5]))))

  it.effect("does not fire early: each retry waits for its delay", () =>
    Effect.gen(function*() {
      const count = yield* Ref.make(0)
      const fiber = yield* Effect.fork(
        Effect.retry(Ref.update(count, (n) => n + 1).pipe(Effect.zipRight(Effect.fail("boom"))), retrySchedule(linear))
      )
      yield* TestClock.adjust(0)
      expect(yield* Ref.get(count)).toBe(1)
      yield* TestClock.adjust("59999 millis")
      expect(yield* Ref.get(count)).toBe(1)
      yield* TestClock.adjust("1 millis")
      expect(yield* Ref.get(count)).toBe(2)
      yield* TestClock.adjust("119 seconds")
      expect(yield* Ref.get(count)).toBe(2)
      yield* TestClock.adjust("1 seconds")
      expect(yield* Ref.get(count)).toBe(3)
      yield* TestClock.adjust("1 hours")
      expect(yield* Ref.get(count)).toBe(5)
      expect(yield* Fiber.await(fiber)).toStrictEqual(Exit.fail("boom"))
    }).pipe(Effect.withRandom(Random.fixed([0.5]))))

  it.effect("jitters like retryDelay and stays within ±20 %", () =>
    Effect.gen(function*() {
      const randoms = [0, 1, 0.25, 0.9, 0.6, 0.1, 0.75] as const
      const { times } = yield* runToExhaustion(exponential).pipe(Effect.withRandom(Random.fixed([...randoms])))
      expect(times).toHaveLength(8)
      expect(gaps(times)).toEqual(randoms.map((r, i) => seconds(retryDelay(exponential, i + 1, () => r))))

      const free = yield* runToExhaustion(exponential)
      expect(free.times).toHaveLength(8)
      gaps(free.times).forEach((gap, i) => {
        const base = 30 * 2 ** i
        expect(gap).toBeGreaterThanOrEqual(base * 0.8)
        expect(gap).toBeLessThanOrEqual(base * 1.2)
      })
    }))

  it.effect("caps every delay at 24 hours", () =>
    Effect.gen(function*() {
      const { times } = yield* runToExhaustion({ type: "exponential", delaySeconds: 36_000, maxAttempts: 4 })
      expect(gaps(times)).toEqual([36_000, 72_000, 86_400])
    }).pipe(Effect.withRandom(Random.fixed([0.5, 0.5, 1]))))

  it.effect("maxAttempts 1 means no retry at all", () =>
    Effect.gen(function*() {
      const { exit, times } = yield* runToExhaustion({ type: "linear", delaySeconds: 5, maxAttempts: 1 })
      expect(exit).toStrictEqual(Exit.fail("boom"))
      expect(times).toEqual([0])
    }))
})
