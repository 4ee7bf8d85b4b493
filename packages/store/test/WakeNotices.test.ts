import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import type { DestinationId } from "@signal/domain/Ids"
import { Effect, Exit, Fiber, Layer, Schedule, TestServices } from "effect"
import * as TestDatabase from "../src/TestDatabase"
import { destinationsOf, listen, LISTENER_NAME, noticesOf, WakeNotices } from "../src/WakeNotices"

const ids = (count: number) =>
  Array.from({ length: count }, (_, i) => `dst_${String(i).padStart(26, "0")}` as DestinationId)

/** Polls `check` every 20 ms (real time) until it holds, for 10 s at most. */
const until = <E, R>(check: Effect.Effect<boolean, E, R>, what: string) =>
  check.pipe(
    Effect.filterOrFail((holds) => holds, () => what),
    Effect.retry({ schedule: Schedule.spaced("20 millis"), times: 500 }),
    TestServices.provideLive
  )

describe("noticesOf", () => {
  it("splits ids into notices Postgres takes (under 8,000 bytes), keeping every id once, in order", () => {
    const all = ids(1_000)
    const notices = noticesOf(all)
    expect(notices.length).toBeGreaterThan(1)
    for (const notice of notices) expect(Buffer.byteLength(notice)).toBeLessThan(8_000)
    expect(notices.flatMap(destinationsOf)).toEqual(all)
    expect(noticesOf([])).toEqual([])
  })
})

describe("WakeNotices", () => {
  it.layer(Layer.provideMerge(WakeNotices.Default, TestDatabase.layer), { timeout: 60_000 })((it) => {
    it.effect("reach a listener on a connection of its own with every id, many notices in one statement; the listener fails once its connection is lost", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const heard: Array<DestinationId> = []
        const listening = yield* Effect.forkScoped(listen((destinations) => heard.push(...destinations)))
        // the server shares its activity view with the other tests' databases
        const listeners = Effect.map(
          sql<{ readonly pid: number }>`SELECT pid FROM pg_stat_activity
            WHERE application_name = ${LISTENER_NAME} AND datname = current_database() AND query LIKE 'LISTEN%'`,
          (rows) => rows.length
        )
        yield* until(Effect.map(listeners, (count) => count === 1), "listening")

        const all = ids(600)
        yield* (yield* WakeNotices).notify(all)
        yield* until(Effect.sync(() => heard.length >= all.length), "every notice heard")
        expect(heard).toEqual(all)

        yield* sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE application_name = ${LISTENER_NAME} AND datname = current_database()`
        const exit = yield* Fiber.await(listening).pipe(Effect.timeout("10 seconds"), TestServices.provideLive)
        expect(Exit.isFailure(exit)).toBe(true)
      }).pipe(Effect.scoped))
  })
})
