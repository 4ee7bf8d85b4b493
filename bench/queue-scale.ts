/**
 * The delivery queue's hot queries at scale: 1M open intents over 10k destinations (two thirds due,
 * one third retrying later) in an embedded PostgreSQL, then Signal's own DeliveryQueue runs its
 * sweep, claim, completion and next-due queries. Prints the sweep time (p50 / max of 20 sweeps) and,
 * through auto_explain, `EXPLAIN (ANALYZE, BUFFERS)` of each statement exactly as Signal sends it.
 *
 *   npm run bench:queue -- [intents=1000000] [destinations=10000]
 */
import { SqlClient } from "@effect/sql"
import type { DestinationId } from "@signal/domain/Ids"
import { clientLayer } from "@signal/store/Database"
import { DeliveryQueue } from "@signal/store/DeliveryQueue"
import * as Migrations from "@signal/store/Migrations"
import { ConfigProvider, Effect, Layer, Redacted } from "effect"
import { startScratchPostgres } from "../test/support/postgres"

const [intents = 1_000_000, destinations = 10_000] = process.argv.slice(2).map(Number)

let log = ""
const postgres = await startScratchPostgres({
  flags: [
    "-c", "session_preload_libraries=auto_explain",
    "-c", "auto_explain.log_min_duration=-1",
    "-c", "auto_explain.log_analyze=on",
    "-c", "auto_explain.log_buffers=on",
    "-c", "shared_buffers=256MB"
  ],
  onLog: (message) => {
    log += message.replace(/^\[STDERR\] /, "")
  }
})
await postgres.server.createDatabase("bench")

const Database = Layer.provideMerge(Migrations.layer, clientLayer(Redacted.make(postgres.url("bench")))).pipe(
  // One connection, so the session that turns plan logging on is the one that runs the queries.
  Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["SIGNAL_DB_POOL_SIZE", "1"]]))))
)

const program = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const queue = yield* DeliveryQueue
  const seedStarted = Date.now()
  yield* sql`INSERT INTO tenants (id, identifier, name) VALUES ('ten_bench000000', 'bench', 'bench')`
  yield* sql`INSERT INTO senders (id, identifier, name) VALUES ('snd_bench000000', 'bench', 'bench')`
  yield* sql`
    INSERT INTO destinations (id, tenant_id, name, url, method, timeout_ms, retry, max_concurrency, signing_secret)
    SELECT 'dst_bench' || lpad(g::text, 8, '0'), 'ten_bench000000', 'd' || g, 'http://127.0.0.1:9/hook', 'POST', 5000,
      '{"type":"exponential","delaySeconds":30,"maxAttempts":10}', 16, 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
    FROM generate_series(1, ${destinations}) g`
  yield* sql`
    INSERT INTO events (id, tenant_id, sender_id, type, payload, status, destination_count, created_at)
    SELECT 'evt_bench' || lpad(g::text, 10, '0'), 'ten_bench000000', 'snd_bench000000', 'order.created',
      jsonb_build_object('n', g, 'note', repeat('x', 700)), 'pending', 1, now() - interval '1 hour'
    FROM generate_series(1, ${intents}) g`
  yield* sql`
    INSERT INTO delivery_intents (id, tenant_id, event_id, destination_id, status, attempt_count, next_attempt_at, created_at)
    SELECT 'int_bench' || lpad(g::text, 10, '0'), 'ten_bench000000', 'evt_bench' || lpad(g::text, 10, '0'),
      'dst_bench' || lpad((g % ${destinations} + 1)::text, 8, '0'),
      CASE WHEN g % 3 = 0 THEN 'retrying' ELSE 'pending' END, CASE WHEN g % 3 = 0 THEN 1 ELSE 0 END,
      CASE WHEN g % 3 = 0 THEN now() + interval '10 minutes' ELSE now() - (g % 3600) * interval '1 second' END,
      now() - interval '1 hour'
    FROM generate_series(1, ${intents}) g`
  yield* sql`VACUUM ANALYZE`
  console.log(`seeded ${intents} open intents over ${destinations} destinations in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s`)

  yield* sql`SET auto_explain.log_min_duration = 0`
  // What one sweep does: the oldest due work, then the next slice of destinations probed one by one.
  const timings: Array<number> = []
  let woken = 0
  let afterSeq = "0"
  for (let i = 0; i < 20; i++) {
    const started = performance.now()
    const oldest = yield* queue.dueDestinations({ limit: 1000, window: 2000, circuitCoolDownMs: 30_000 })
    const slice = yield* queue.dueInSlice({ afterSeq, size: 1000, circuitCoolDownMs: 30_000 })
    afterSeq = slice.nextAfterSeq ?? "0"
    woken = new Set([...oldest, ...slice.due]).size
    timings.push(performance.now() - started)
  }
  timings.sort((a, b) => a - b)
  console.log(`sweep (oldest due + a slice of 1000 destinations): ${woken} destinations to wake, p50 ${timings[10].toFixed(1)} ms, max ${timings[19].toFixed(1)} ms`)

  const destinationId = "dst_bench00000042" as DestinationId
  const claims = yield* queue.claim({ destinationId, limit: 32, maxBytes: 4 * 1024 * 1024, leaseMs: 4_000, owner: "bench", held: [] })
  const at = new Date()
  yield* queue.complete(claims.map((claim, i) => ({
    claim,
    attemptId: `att_bench${String(i).padStart(10, "0")}`,
    succeeded: i % 4 !== 0,
    response: { statusCode: i % 4 === 0 ? 500 : 200, headers: { "content-type": "text/plain" }, body: "ok" },
    error: i % 4 === 0 ? { code: "http_status", message: "receiver answered 500" } : null,
    startedAt: at,
    completedAt: at,
    next: i % 4 === 0 ? { status: "retrying" as const, at: new Date(at.getTime() + 30_000) } : { status: "succeeded" as const }
  })))
  yield* queue.nextDueAt(destinationId)
  yield* sql`SET auto_explain.log_min_duration = -1`
  console.log(`claimed and completed ${claims.length} intents of ${destinationId}`)
})

await Effect.runPromise(program.pipe(Effect.provide(Layer.provideMerge(DeliveryQueue.Default, Database)), Effect.scoped))
await postgres.dispose()
if (process.env.BENCH_DUMP_LOG) (await import("node:fs")).writeFileSync(process.env.BENCH_DUMP_LOG, log)

// Each auto_explain entry: "LOG:  duration: … plan:\n\tQuery Text: …\n\t<plan lines>".
const plans = log.split(/(?=\d{4}-\d\d-\d\d [\d:.]+ \w+ \[\d+\] LOG:\s+duration:)/).filter((entry) => entry.includes("Query Text:"))
const seen = new Set<string>()
for (const entry of plans) {
  const query = entry.slice(0, entry.indexOf("Query Parameters:"))
  const kind = query.includes("LEFT JOIN LATERAL")
    ? "sweep: a slice of destinations (dueInSlice)"
    : query.includes("WITH oldest AS")
    ? "sweep: oldest due work (dueDestinations)"
    : query.includes("FOR UPDATE SKIP LOCKED")
    ? "claim"
    : query.includes("INSERT INTO delivery_attempts")
    ? "complete: attempts"
    : query.includes("UPDATE delivery_intents i SET status")
    ? "complete: intents and events"
    : query.includes("SELECT next_attempt_at AS at")
    ? "nextDueAt"
    : undefined
  if (kind === undefined || seen.has(kind)) continue
  seen.add(kind)
  console.log(`\n--- ${kind} ---\n${entry.replace(/^.*?LOG:\s+/, "").trimEnd()}`)
}
