import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as DeliveryStatements from "../src/DeliveryStatements"
import * as TestDatabase from "../src/TestDatabase"

interface PlanNode {
  readonly "Node Type": string
  readonly "Relation Name"?: string
  readonly "Index Name"?: string
  readonly Plans?: ReadonlyArray<PlanNode>
}

/** Every read of a table in a plan (EXPLAIN's JSON): node type, table and index. */
const reads = (node: PlanNode): Array<string> => [
  ...(node["Relation Name"] !== undefined && node["Node Type"] !== "ModifyTable"
    ? [`${node["Node Type"]} ${node["Relation Name"]} ${node["Index Name"] ?? ""}`.trim()]
    : []),
  ...(node.Plans ?? []).flatMap(reads)
]

describe("DeliveryStatements.complete", () => {
  it.layer(TestDatabase.layer, { timeout: 120_000 })((it) => {
    it.effect("finds its intents by key, never by reading the open intents", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        // a backlog the planner knows of: reading every open intent would cost it thousands of rows
        yield* sql`INSERT INTO delivery_intents (id, tenant_id, event_id, destination_id, next_attempt_at)
          SELECT 'int_' || n, 'ten_1', 'evt_' || n, 'dst_' || (n % 10), now() FROM generate_series(1, 20000) n`
        yield* sql`ANALYZE delivery_intents`
        // the plan every call gets once Postgres settles on one for the prepared statement
        const [explained] = yield* sql.unsafe<{ "QUERY PLAN": ReadonlyArray<{ Plan: PlanNode }> }>(
          `EXPLAIN (GENERIC_PLAN, FORMAT JSON) ${DeliveryStatements.complete.text}`
        )
        const intentReads = reads(explained["QUERY PLAN"][0].Plan).filter((read) => read.includes("delivery_intents"))
        expect(intentReads.length).toBeGreaterThan(0)
        for (const read of intentReads) expect(read).toMatch(/delivery_intents_pkey$/)
      }))
  })
})
