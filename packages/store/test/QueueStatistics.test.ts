import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Schedule, TestServices } from "effect"
import { QueueStatistics } from "../src/QueueStatistics"
import * as TestDatabase from "../src/TestDatabase"

const layer = Layer.provideMerge(QueueStatistics.Default, TestDatabase.layer)

describe("QueueStatistics.refreshIfStale", () => {
  it.layer(layer, { timeout: 120_000 })((it) => {
    it.effect("analyzes the queue table, lightly, once a burst of intents changed it, and not again until the next", () =>
      Effect.gen(function*() {
        const statistics = yield* QueueStatistics
        const sql = yield* SqlClient.SqlClient
        const plannerRows = Effect.map(
          sql<{ readonly rows: number }>`SELECT reltuples::float8 AS rows FROM pg_class WHERE oid = 'delivery_intents'::regclass`,
          ([row]) => row.rows
        )
        // Autovacuum would analyze the burst too, and ours, meeting its lock, skips by design: this test's
        // database leaves the table to the statement under test alone.
        yield* sql`ALTER TABLE delivery_intents SET (autovacuum_enabled = false)`
        expect(yield* statistics.refreshIfStale).toBe(false)
        expect(yield* plannerRows).toBeLessThan(1)

        // a burst of publishes; its backend reports the changed rows as it commits
        yield* sql.withTransaction(Effect.gen(function*() {
          yield* sql`INSERT INTO delivery_intents (id, tenant_id, event_id, destination_id, next_attempt_at)
            SELECT 'int_' || n, 'ten_1', 'evt_' || n, 'dst_' || (n % 10), now() FROM generate_series(1, 12000) n`
          yield* sql`SELECT pg_stat_force_next_flush()`
        }))
        // shared statistics arrive a moment after the commit
        const refreshed = yield* statistics.refreshIfStale.pipe(
          Effect.filterOrFail((analyzed) => analyzed, () => "not analyzed yet"),
          Effect.retry({ schedule: Schedule.spaced("200 millis"), times: 50 }),
          TestServices.provideLive
        )
        expect(refreshed).toBe(true)
        expect(yield* plannerRows).toBe(12000)
        expect(yield* statistics.refreshIfStale).toBe(false)

        // from a small sample: ten buckets and ten common values at most, for each column and the index expression
        const sampled = yield* sql<{ readonly column: string; readonly bounds: number; readonly common: number }>`
          SELECT attname AS column, coalesce(cardinality(histogram_bounds), 0) AS bounds,
            coalesce(cardinality(most_common_vals), 0) AS common
          FROM pg_stats WHERE tablename IN ('delivery_intents', 'intents_ordered_heads')`
        expect(sampled.find((row) => row.column === "seq")?.bounds).toBe(11)
        for (const row of sampled) {
          expect(row.bounds, row.column).toBeLessThanOrEqual(11)
          expect(row.common, row.column).toBeLessThanOrEqual(10)
        }
      }))
  })
})
