import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import type { DestinationId, IntentId } from "@signal/domain/Ids"
import { Effect, Layer } from "effect"
import type * as Pg from "pg"
import { ClaimPool, Pool } from "../src/Database"
import { DeliveryQueue } from "../src/DeliveryQueue"
import * as DeliveryStatements from "../src/DeliveryStatements"
import * as TestDatabase from "../src/TestDatabase"

interface PlanNode {
  readonly "Node Type": string
  readonly "Relation Name"?: string
  readonly "Index Name"?: string
  readonly "Actual Rows"?: number
  readonly "Actual Loops"?: number
  readonly Plans?: ReadonlyArray<PlanNode>
}

/** Every read of a table in a plan (EXPLAIN's JSON): node type, table and index. */
const reads = (node: PlanNode): Array<string> => [
  ...(node["Relation Name"] !== undefined && node["Node Type"] !== "ModifyTable"
    ? [`${node["Node Type"]} ${node["Relation Name"]} ${node["Index Name"] ?? ""}`.trim()]
    : []),
  ...(node.Plans ?? []).flatMap(reads)
]

/**
 * The reads of `delivery_intents` in the plan a connection of `pool` makes for `text` once Postgres
 * settles on one plan for the prepared statement (its generic plan).
 */
const intentReads = (pool: Pg.Pool, text: string) =>
  Effect.promise(async () => {
    const { rows: [explained] } = await pool.query<{ "QUERY PLAN": ReadonlyArray<{ Plan: PlanNode }> }>(
      `EXPLAIN (GENERIC_PLAN, FORMAT JSON) ${text}`
    )
    return reads(explained["QUERY PLAN"][0].Plan).filter((read) => read.includes("delivery_intents"))
  })

/**
 * Rows of `delivery_intents` a plan run with `EXPLAIN ANALYZE` read other than by primary key, over all
 * its loops (Postgres gives rows per loop, rounded here).
 */
const intentRowsScanned = (node: PlanNode): number =>
  Math.round(
    (node["Relation Name"] === "delivery_intents" && node["Node Type"] !== "ModifyTable" &&
        node["Index Name"] !== "delivery_intents_pkey"
      ? (node["Actual Rows"] ?? 0) * (node["Actual Loops"] ?? 1)
      : 0) + (node.Plans ?? []).reduce((sum, child) => sum + intentRowsScanned(child), 0)
  )

/**
 * The claim statement's parameters for `destinations`, each asking for `limit` intents for `owner`,
 * holding none, with no byte bound to speak of, now, for a 30 s lease.
 */
const claimValues = (destinations: ReadonlyArray<string>, limit: number, owner: string) => [
  destinations.join(" "),
  destinations.map(() => limit).join(" "),
  destinations.map(() => 1_000_000).join(" "),
  destinations.map(() => owner).join(" "),
  destinations.map(() => "").join(" "),
  new Date(),
  30
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
        const planned = yield* intentReads(yield* Pool, DeliveryStatements.complete.text)
        expect(planned.length).toBeGreaterThan(0)
        for (const read of planned) expect(read).toMatch(/delivery_intents_pkey$/)
      }))
  })
})

describe("DeliveryStatements.claimMany", () => {
  it.layer(TestDatabase.layer, { timeout: 120_000 })((it) => {
    it.scoped("is planned once per connection, whether it claims for one destination or many", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const pool = yield* Pool
        yield* sql`INSERT INTO events (id, tenant_id, sender_id, type, payload, status, destination_count)
          SELECT 'evt_' || n, 'ten_1', 'snd_1', 'test.event', '{"n":1}', 'pending', 1 FROM generate_series(1, 400) n`
        yield* sql`INSERT INTO delivery_intents (id, tenant_id, event_id, destination_id, next_attempt_at)
          SELECT 'int_' || n, 'ten_1', 'evt_' || n, 'dst_' || (n % 20), 'epoch' FROM generate_series(1, 400) n`
        yield* sql`ANALYZE delivery_intents`
        // one connection, as the prepared statement lives in one
        const client = yield* Effect.acquireRelease(Effect.promise(() => pool.connect()), (client) => Effect.sync(() => client.release()))
        const claim = (destinations: ReadonlyArray<string>) =>
          Effect.promise(() =>
            client.query<{ requested: string; id: string | null }>({
              name: DeliveryStatements.claimMany.name,
              text: DeliveryStatements.claimMany.text,
              values: claimValues(destinations, 2, "owner")
            })
          )
        // light load: a destination at a time, as a wake at a time claims
        for (let n = 0; n < 10; n++) yield* claim([`dst_${n}`])
        const many = yield* claim(Array.from({ length: 20 }, (_, n) => `dst_${n}`))
        expect(many.rows.filter((row) => row.id === null).map((row) => row.requested).sort())
          .toEqual(Array.from({ length: 20 }, (_, n) => `dst_${n}`).sort())
        expect(many.rows.filter((row) => row.id !== null)).toHaveLength(20 * 2)
        const { rows: [plans] } = yield* Effect.promise(() =>
          client.query<{ generic_plans: string; custom_plans: string }>(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = $1",
            [DeliveryStatements.claimMany.name]
          )
        )
        // Postgres plans a prepared statement's first five calls with their values, then keeps a
        // generic plan only if it looks no dearer: every later call reused it
        expect(Number(plans.custom_plans)).toBeLessThanOrEqual(5)
        expect(Number(plans.generic_plans)).toBeGreaterThanOrEqual(6)
      }))
  })
})

describe("ordered (FIFO) claims", () => {
  it.layer(TestDatabase.layer, { timeout: 120_000 })((it) => {
    it.scoped("read the head of each key, not the backlog behind it", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        // three keys, 1,000 open intents behind each
        yield* sql`INSERT INTO events (id, tenant_id, sender_id, type, payload, status, destination_count)
          SELECT 'evt_' || n, 'ten_1', 'snd_1', 'test.event', '{"n":1}', 'pending', 1 FROM generate_series(1, 3000) n`
        yield* sql`INSERT INTO delivery_intents (id, tenant_id, event_id, destination_id, next_attempt_at, ordering_key)
          SELECT 'int_' || n, 'ten_1', 'evt_' || n, 'dst_fifo', 'epoch', 'key_' || (n % 3) FROM generate_series(1, 3000) n`
        yield* sql`ANALYZE delivery_intents`
        const pool = yield* Pool
        const client = yield* Effect.acquireRelease(Effect.promise(() => pool.connect()), (client) => Effect.sync(() => client.release()))
        const explained = (statement: { readonly text: string }, values: string) =>
          Effect.promise(async () => {
            await client.query(`PREPARE explained AS ${statement.text}`)
            const { rows: [row] } = await client.query<{ "QUERY PLAN": ReadonlyArray<{ Plan: PlanNode }> }>(
              `EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE explained(${values})`
            )
            await client.query("DEALLOCATE explained")
            return row["QUERY PLAN"][0].Plan
          })
        const due = yield* explained(DeliveryStatements.nextOrderedDue, "'dst_fifo', now()")
        // one row per key and a last look that finds no further key: DISTINCT ON read all 3,000
        expect(intentRowsScanned(due)).toBe(3)
        const claim = yield* explained(DeliveryStatements.claimOrdered, "'dst_fifo', now(), '{}', 16, 30, 'owner', 1000000")
        expect(intentRowsScanned(claim)).toBe(3)
        const leased = yield* sql<{ id: string }>`SELECT id FROM delivery_intents WHERE lease_owner = 'owner' ORDER BY id`
        // the first of each key in publish order
        expect(leased.map((row) => row.id)).toEqual(["int_1", "int_2", "int_3"])
      }))
  })
})

describe("the claim pool", () => {
  it.layer(TestDatabase.layer, { timeout: 120_000 })((it) => {
    it.effect("walks the due index for each destination when the statistics say few intents are open", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        // a burst the planner counted, then drained: the due index keeps its pages, ANALYZE finds 50 open
        yield* sql`INSERT INTO delivery_intents (id, tenant_id, event_id, destination_id, next_attempt_at)
          SELECT 'int_' || n, 'ten_1', 'evt_' || n, 'dst_' || (n % 100), now() FROM generate_series(1, 15000) n`
        yield* sql`ANALYZE delivery_intents`
        yield* sql`UPDATE delivery_intents SET status = 'succeeded' WHERE id NOT IN (
          SELECT id FROM delivery_intents ORDER BY id LIMIT 50)`
        yield* sql`ANALYZE delivery_intents`
        // elsewhere the planner takes that walk for dearer than reading all the destination's open intents
        const planned = yield* intentReads(yield* Pool, DeliveryStatements.claimMany.text)
        expect(planned.filter((read) => !/(intents_due|delivery_intents_pkey)$/.test(read))).not.toEqual([])
        const claimed = yield* intentReads(yield* ClaimPool, DeliveryStatements.claimMany.text)
        expect(claimed.filter((read) => read.endsWith("intents_due"))).toHaveLength(2)
        for (const read of claimed) expect(read).toMatch(/^Index Scan delivery_intents (intents_due|delivery_intents_pkey)$/)
      }))
  })
})

describe("lease writes", () => {
  it.layer(Layer.provideMerge(DeliveryQueue.Default, TestDatabase.layer), { timeout: 120_000 })((it) => {
    /**
     * Each statement runs in a transaction that starts out committing synchronously (the test server's
     * own default is off), which then tells how it will commit.
     */
    const commitAfter = <A, E, R>(statement: Effect.Effect<A, E, R>) =>
      Effect.flatMap(SqlClient.SqlClient, (sql) =>
        sql.withTransaction(Effect.gen(function*() {
          yield* sql`SET LOCAL synchronous_commit = on`
          const result = yield* statement
          const [{ synchronous_commit }] = yield* sql<{ synchronous_commit: string }>`SHOW synchronous_commit`
          return { result, synchronousCommit: synchronous_commit }
        })))

    it.effect("claims and renewals commit without waiting for the disk; outcomes wait", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const queue = yield* DeliveryQueue
        yield* sql`INSERT INTO events (id, tenant_id, sender_id, type, payload, status, destination_count)
          VALUES ('evt_lease', 'ten_lease', 'snd_lease', 'test.event', '{"n":1}', 'pending', 1)`
        yield* sql`INSERT INTO delivery_intents (id, tenant_id, event_id, destination_id, next_attempt_at)
          VALUES ('int_lease', 'ten_lease', 'evt_lease', 'dst_lease', 'epoch')`

        // the claim statement's own text and parameters: one request that leases the intent
        const claim = yield* commitAfter(
          sql.unsafe<{ id: string | null }>(DeliveryStatements.claimMany.text, claimValues(["dst_lease"], 10, "owner_lease"))
        )
        expect(claim.result.map((row) => row.id).filter((id) => id !== null)).toEqual(["int_lease"])
        expect(claim.synchronousCommit).toBe("off")

        const renewal = yield* commitAfter(queue.extendLeases(["int_lease" as IntentId], ["owner_lease"], 30_000))
        expect(renewal.synchronousCommit).toBe("off")
        const [{ lease_until }] = yield* sql<{ lease_until: Date | null }>`
          SELECT lease_until FROM delivery_intents WHERE id = 'int_lease'`
        expect(lease_until).not.toBeNull()

        const outcome = yield* commitAfter(sql.unsafe(DeliveryStatements.complete.text, [
          "att_lease", "ten_lease", "int_lease", "evt_lease", "dst_lease", "owner_lease", "1", "5",
          String(Date.now() - 5), String(Date.now()), "succeeded", "succeeded", "[200]", "[null]", "[{}]",
          [""], [null], [null]
        ]))
        expect(outcome.synchronousCommit).toBe("on")
        const [{ status }] = yield* sql<{ status: string }>`SELECT status FROM delivery_intents WHERE id = 'int_lease'`
        expect(status).toBe("succeeded")
      }))
  })
})

describe("outcomes of a deleted destination", () => {
  it.layer(Layer.provideMerge(DeliveryQueue.Default, TestDatabase.layer), { timeout: 120_000 })((it) => {
    it.effect("one that would retry ends its intent failed when the destination was deleted meanwhile; a kept destination's intent retries", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const queue = yield* DeliveryQueue
        yield* sql`INSERT INTO tenants (id, identifier, name) VALUES ('ten_del', 'ten-del', 'deleting')`
        for (const name of ["gone", "kept"]) {
          yield* sql`INSERT INTO destinations (id, tenant_id, name, url, method, timeout_ms, retry, max_concurrency, signing_secret)
            VALUES (${`dst_${name}`}, 'ten_del', ${name}, 'http://127.0.0.1:9/hook', 'POST', 1000,
              '{"type":"linear","delaySeconds":30,"maxAttempts":5}', 4, 'whsec_test')`
          yield* sql`INSERT INTO events (id, tenant_id, sender_id, type, payload, status, destination_count)
            VALUES (${`evt_${name}`}, 'ten_del', 'snd_del', 'test.event', '{"n":1}', 'pending', 1)`
          yield* sql`INSERT INTO delivery_intents (id, tenant_id, event_id, destination_id, next_attempt_at)
            VALUES (${`int_${name}`}, 'ten_del', ${`evt_${name}`}, ${`dst_${name}`}, 'epoch')`
        }
        const claims = yield* queue.claimMany(["gone", "kept"].map((name) => ({
          destinationId: `dst_${name}` as DestinationId,
          limit: 10,
          maxBytes: 1_000_000,
          leaseMs: 30_000,
          owner: "owner_del",
          held: []
        })))
        const claimed = [...claims.values()].flatMap((claim) => claim.intents)
        expect(claimed.map((intent) => intent.intentId).sort()).toEqual(["int_gone", "int_kept"])

        // deleted while both attempts are out: the delete leaves leased intents to their outcomes
        yield* sql`UPDATE destinations SET deleted_at = now() WHERE id = 'dst_gone'`
        const retryAt = new Date(Date.now() + 30_000)
        yield* queue.complete(claimed.map((claim) => ({
          claim,
          attemptId: `att_${claim.intentId}`,
          succeeded: false,
          response: { statusCode: 500, headers: {}, body: "busy" },
          error: { code: "http_status", message: "the receiver answered 500" },
          startedAt: new Date(Date.now() - 5),
          completedAt: new Date(),
          next: { status: "retrying", at: retryAt }
        })))

        const intents = yield* sql<{ id: string; status: string; error_code: string | null; next_attempt_at: Date | null }>`
          SELECT id, status, error_code, next_attempt_at FROM delivery_intents WHERE tenant_id = 'ten_del' ORDER BY id`
        expect(intents).toEqual([
          { id: "int_gone", status: "failed", error_code: "destination_deleted", next_attempt_at: null },
          { id: "int_kept", status: "retrying", error_code: "http_status", next_attempt_at: retryAt }
        ])
        const events = yield* sql<{ id: string; status: string; failure_count: number }>`
          SELECT id, status, failure_count FROM events WHERE tenant_id = 'ten_del' ORDER BY id`
        expect(events).toEqual([
          { id: "evt_gone", status: "failed", failure_count: 1 },
          { id: "evt_kept", status: "pending", failure_count: 0 }
        ])
        // each attempt is recorded as it went, the deleted destination's too
        const attempts = yield* sql<{ intent_id: string; status: string; response_status: number }>`
          SELECT intent_id, status, response_status FROM delivery_attempts WHERE tenant_id = 'ten_del' ORDER BY intent_id`
        expect(attempts).toEqual([
          { intent_id: "int_gone", status: "failed", response_status: 500 },
          { intent_id: "int_kept", status: "failed", response_status: 500 }
        ])
      }))
  })
})
