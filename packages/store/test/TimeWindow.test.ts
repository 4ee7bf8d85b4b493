import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as TestDatabase from "../src/TestDatabase"
import { SEQ_SKEW_MS, type TimeScope, withinWindow } from "../src/TimeWindow"

interface PlanNode {
  readonly "Relation Name"?: string
  readonly "Actual Rows"?: number
  readonly "Actual Loops"?: number
  readonly "Rows Removed by Filter"?: number
  readonly Plans?: ReadonlyArray<PlanNode>
}

/**
 * Rows of `delivery_intents` a plan read, those its filters dropped included, over all its loops (the
 * search's steps too). Postgres gives rows per loop, rounded here.
 */
const intentRowsRead = (node: PlanNode): number =>
  (node["Relation Name"] === "delivery_intents"
    ? Math.round(((node["Actual Rows"] ?? 0) + (node["Rows Removed by Filter"] ?? 0)) * (node["Actual Loops"] ?? 1))
    : 0) +
  (node.Plans ?? []).reduce((sum, child) => sum + intentRowsRead(child), 0)

const BASE = Date.parse("2026-01-01T00:00:00Z")
const ROWS = 20_000
/** Up to two minutes either way (within `SEQ_SKEW_MS`), scattered: row n was made at second n, roughly. */
const JITTER_SECONDS = 120

const scopeOf = (id: string): TimeScope => ({ table: "delivery_intents", column: "destination_id", id, time: "created_at" })

describe("TimeWindow", () => {
  it.layer(TestDatabase.layer, { timeout: 120_000 })((it) => {
    it.effect("finds exactly the rows of a window through the seq index, reading few beyond it", () =>
      Effect.gen(function*() {
        expect(2 * JITTER_SECONDS * 1000).toBeLessThan(SEQ_SKEW_MS)
        const sql = yield* SqlClient.SqlClient
        // Two destinations interleaved, in seq order; each row's time is its second give or take the jitter.
        yield* sql`INSERT INTO delivery_intents (id, tenant_id, event_id, destination_id, next_attempt_at, created_at)
          SELECT 'int_' || n, 'ten_1', 'evt_' || n, 'dst_' || (n % 2), 'epoch',
            ${new Date(BASE)}::timestamptz + make_interval(secs => n + (n * 7919) % ${2 * JITTER_SECONDS + 1} - ${JITTER_SECONDS})
          FROM generate_series(1, ${ROWS}) n ORDER BY n`
        yield* sql`ANALYZE delivery_intents`
        const at = (second: number) => new Date(BASE + second * 1000)
        const windows: ReadonlyArray<readonly [number, number]> = [
          [-1000, 0],
          [-1000, 50],
          [0, ROWS + 1000],
          [5000, 5600],
          [5000, 5001],
          [12_345, 15_000],
          [ROWS - 10, ROWS + 500],
          [ROWS + 200, ROWS + 900]
        ]
        for (const [from, to] of windows) {
          for (const destination of ["dst_0", "dst_1"]) {
            const expected = yield* sql<{ count: number }>`
              SELECT count(*)::int AS count FROM delivery_intents
              WHERE destination_id = ${destination} AND created_at >= ${at(from)} AND created_at < ${at(to)}`
            const found = yield* sql<{ count: number }>`
              SELECT count(*)::int AS count FROM delivery_intents i
              WHERE ${withinWindow(sql, "i", scopeOf(destination), at(from), at(to))}`
            expect(found[0].count, `${destination} [${from}, ${to})`).toBe(expected[0].count)
          }
        }
        // Ten minutes of one destination's rows (~300): the search's steps and the skew's margins
        // (~150 rows each side) on top, not the destination's 10,000.
        const [explained] = yield* sql<{ "QUERY PLAN": ReadonlyArray<{ Plan: PlanNode }> }>`
          EXPLAIN (ANALYZE, FORMAT JSON) SELECT count(*) FROM delivery_intents i
          WHERE ${withinWindow(sql, "i", scopeOf("dst_0"), at(5000), at(5600))}`
        const read = intentRowsRead(explained["QUERY PLAN"][0].Plan)
        expect(read).toBeGreaterThan(300)
        expect(read).toBeLessThan(1_200)

        const none = yield* sql<{ count: number }>`
          SELECT count(*)::int AS count FROM delivery_intents i
          WHERE ${withinWindow(sql, "i", scopeOf("dst_none"), at(0), at(ROWS))}`
        expect(none[0].count).toBe(0)
      }))
  })
})
