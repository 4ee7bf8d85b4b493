import { describe, expect, it } from "@effect/vitest"
import { SqlError } from "@effect/sql/SqlError"
import { Effect, Exit, Fiber, TestClock } from "effect"
import { retryTransient } from "../src/DatabaseRetry"

/** A Postgres failure with the given SQLSTATE, as the driver reports it. */
const failure = (code: string) => new SqlError({ cause: Object.assign(new Error(code), { code }), message: code })

/** A statement that fails with each of `failures` in turn, then answers `"ok"`; `tries` counts its runs. */
const statement = (failures: ReadonlyArray<SqlError>) => {
  const counter = { tries: 0 }
  const run = Effect.suspend(() => {
    const failed = failures[counter.tries++]
    return failed === undefined ? Effect.succeed("ok") : Effect.fail(failed)
  })
  return { counter, run }
}

describe("retryTransient", () => {
  it.effect("runs a statement that succeeds once", () =>
    Effect.gen(function*() {
      const { counter, run } = statement([])
      expect(yield* retryTransient()(run)).toBe("ok")
      expect(counter.tries).toBe(1)
    }))

  it.effect("fails at once on an error the statement would make again", () =>
    Effect.gen(function*() {
      const { counter, run } = statement([failure("23505")])
      const exit = yield* Effect.exit(retryTransient()(run))
      expect(Exit.isFailure(exit)).toBe(true)
      expect(counter.tries).toBe(1)
    }))

  it.effect("tries a transient failure again on the schedule: 100 ms, then 200 ms later", () =>
    Effect.gen(function*() {
      // a lost connection (08006), then too many connections (53300), then the answer
      const { counter, run } = statement([failure("08006"), failure("53300")])
      const fiber = yield* Effect.fork(retryTransient()(run))
      yield* TestClock.adjust("99 millis")
      expect(counter.tries).toBe(1)
      yield* TestClock.adjust("1 millis")
      expect(counter.tries).toBe(2)
      yield* TestClock.adjust("199 millis")
      expect(counter.tries).toBe(2)
      yield* TestClock.adjust("1 millis")
      expect(yield* Fiber.join(fiber)).toBe("ok")
      expect(counter.tries).toBe(3)
    }))

  it.effect("stops when the schedule ends, with the last failure", () =>
    Effect.gen(function*() {
      const { counter, run } = statement(Array.from({ length: 100 }, () => failure("57P01")))
      const fiber = yield* Effect.fork(retryTransient()(run))
      yield* TestClock.adjust("3 minutes")
      const exit = yield* Fiber.await(fiber)
      expect(Exit.isFailure(exit)).toBe(true)
      // 100 ms doubling to 5 s, then every 5 s, for two minutes
      expect(counter.tries).toBeGreaterThan(20)
      expect(counter.tries).toBeLessThan(40)
    }))
})
