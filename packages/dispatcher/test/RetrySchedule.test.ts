import { describe, expect, it } from "@effect/vitest"
import { Clock, Duration, Effect, Exit, Fiber, Random, Ref, TestClock } from "effect"
import { maxRetryDelay, nextAttemptAt, retrySchedule } from "../src/RetrySchedule"

const linear = { type: "linear", delaySeconds: 60, maxAttempts: 5 } as const
const exponential = { type: "exponential", delaySeconds: 30, maxAttempts: 8 } as const
const now = new Date("2025-01-01T00:00:00.000Z")
/** Seconds from `now` to the next attempt after `attemptsMade`, or null; jitter from the Random service. */
const delayAfter = (policy: Parameters<typeof nextAttemptAt>[0], attemptsMade: number) =>
  Effect.map(nextAttemptAt(policy, attemptsMade, now), (at) => at === null ? null : (at.getTime() - now.getTime()) / 1000)
const noJitter = Random.fixed([0.5])

describe("nextAttemptAt, from the retry schedule", () => {
  it.effect("is now before the first attempt", () =>
    Effect.gen(function*() {
      expect(yield* nextAttemptAt(linear, 0, now)).toEqual(now)
    }))

  it.effect("linear is delay × n", () =>
    Effect.gen(function*() {
      expect(yield* Effect.forEach([1, 2, 3, 4], (n) => delayAfter(linear, n))).toEqual([60, 120, 180, 240])
    }).pipe(Effect.withRandom(noJitter)))

  it.effect("exponential is delay × 2^(n−1)", () =>
    Effect.gen(function*() {
      expect(yield* Effect.forEach([1, 2, 3, 4, 5], (n) => delayAfter(exponential, n))).toEqual([30, 60, 120, 240, 480])
    }).pipe(Effect.withRandom(noJitter)))

  it.effect("jitter stays within ±20 % and varies", () =>
    Effect.gen(function*() {
      expect(yield* delayAfter(linear, 2).pipe(Effect.withRandom(Random.fixed([0])))).toBe(96)
      expect(yield* delayAfter(linear, 2).pipe(Effect.withRandom(Random.fixed([1])))).toBe(144)
      expect(yield* delayAfter(exponential, 3).pipe(Effect.withRandom(Random.fixed([0])))).toBe(96)
      expect(yield* delayAfter(exponential, 3).pipe(Effect.withRandom(Random.fixed([1])))).toBe(144)
      const samples = yield* Effect.forEach(Array.from({ length: 300 }), () => delayAfter(exponential, 4))
      for (const s of samples) {
        expect(s).toBeGreaterThanOrEqual(192)
        expect(s).toBeLessThanOrEqual(288)
      }
      expect(new Set(samples).size).toBeGreaterThan(1)
    }))

  it.effect("is capped at 24 hours, jitter included", () =>
    Effect.gen(function*() {
      expect(Duration.toHours(maxRetryDelay)).toBe(24)
      const big = { type: "exponential", delaySeconds: 3600, maxAttempts: 100 } as const
      expect(yield* delayAfter(big, 5).pipe(Effect.withRandom(noJitter))).toBe(16 * 3600)
      expect(yield* delayAfter(big, 6).pipe(Effect.withRandom(noJitter))).toBe(86_400)
      expect(yield* delayAfter(big, 99).pipe(Effect.withRandom(Random.fixed([1])))).toBe(86_400)
      const day = { type: "linear", delaySeconds: 86_400, maxAttempts: 3 } as const
      expect(yield* delayAfter(day, 2).pipe(Effect.withRandom(Random.fixed([1])))).toBe(86_400)
    }))

  it.effect("stops at maxAttempts", () =>
    Effect.gen(function*() {
      expect(yield* delayAfter(linear, 4)).not.toBeNull()
      expect(yield* nextAttemptAt(linear, 5, now)).toBeNull()
      expect(yield* nextAttemptAt(linear, 6, now)).toBeNull()
      expect(yield* nextAttemptAt({ type: "linear", delaySeconds: 1, maxAttempts: 1 }, 1, now)).toBeNull()
    }))
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

  it.effect("jitters like the stored next attempt time and stays within ±20 %", () =>
    Effect.gen(function*() {
      const randoms = [0, 1, 0.25, 0.9, 0.6, 0.1, 0.75] as const
      const { times } = yield* runToExhaustion(exponential).pipe(Effect.withRandom(Random.fixed([...randoms])))
      expect(times).toHaveLength(8)
      // the stored next attempt time and the live retry agree, jitter included
      const stamped = yield* Effect.forEach(randoms, (r, i) => delayAfter(exponential, i + 1).pipe(Effect.withRandom(Random.fixed([r]))))
      expect(gaps(times)).toEqual(stamped)

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
