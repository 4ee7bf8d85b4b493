/**
 * The delivery queue's hot queries at scale: 1M open intents over 10k destinations (two thirds due,
 * one third retrying later) in an embedded PostgreSQL, then Signal's own DeliveryQueue runs its
 * sweep, claim, completion and next-due queries. Prints the sweep time (p50 / max of 20 sweeps) and,
 * through auto_explain, `EXPLAIN (ANALYZE, BUFFERS)` of each statement exactly as Signal sends it.
 *
 * With BENCH_QUEUE_DISPATCHER_SECONDS=n (after `npm run build`), a dispatcher process
 * (`SIGNAL_ROLE=dispatcher`, compiled Signal) then works that backlog for n seconds against a
 * receiver process (the destinations repointed at it); prints its peak RSS (sampled every 200 ms)
 * and its deliveries/s, then stops it.
 *
 *   npm run bench:queue -- [intents=1000000] [destinations=10000]
 *   npm run build && BENCH_QUEUE_DISPATCHER_SECONDS=60 npm run bench:queue
 */
import { SqlClient } from "@effect/sql"
import type { DestinationId } from "@signal/domain/Ids"
import { clientLayer } from "@signal/store/Database"
import { DeliveryQueue } from "@signal/store/DeliveryQueue"
import * as Migrations from "@signal/store/Migrations"
import { ConfigProvider, Effect, Layer, Redacted } from "effect"
import { existsSync } from "node:fs"
import pg from "pg"
import { freePort, startScratchPostgres } from "../test/support/postgres"
import { loggedProblems, rssMiB, startReceiver, startSignal } from "./processes"

const [intents = 1_000_000, destinations = 10_000] = process.argv.slice(2).map(Number)
const dispatcherSeconds = Number(process.env.BENCH_QUEUE_DISPATCHER_SECONDS ?? 0)
if (dispatcherSeconds > 0 && !existsSync(new URL("../packages/server/dist/main.js", import.meta.url))) {
  throw new Error("BENCH_QUEUE_DISPATCHER_SECONDS runs the compiled Signal: `npm run build` first")
}

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

// Migrated through a pool of its own: the start-up lock holds one connection while the migrations take another.
await Effect.runPromise(Migrations.run.pipe(Effect.provide(clientLayer(Redacted.make(postgres.url("bench"))))))

const Database = clientLayer(Redacted.make(postgres.url("bench"))).pipe(
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
  // and in the sessions of the claim pool, which connects at the first claim
  yield* sql`ALTER DATABASE bench SET auto_explain.log_min_duration = 0`
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
  const { intents: claims } = yield* queue.claim({ destinationId, limit: 32, maxBytes: 4 * 1024 * 1024, leaseMs: 4_000, owner: "bench", held: [] })
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
  yield* queue.nextOrderedDueAt(destinationId)
  yield* sql`SET auto_explain.log_min_duration = -1`
  yield* sql`ALTER DATABASE bench RESET auto_explain.log_min_duration`
  console.log(`claimed and completed ${claims.length} intents of ${destinationId}`)
})

await Effect.runPromise(program.pipe(Effect.provide(Layer.provideMerge(DeliveryQueue.Default, Database)), Effect.scoped))

/**
 * A dispatcher process on that backlog for a bounded time: its memory with 1M open intents over
 * 10k destinations, and what it delivers meanwhile.
 */
const dispatcherRun = async (seconds: number) => {
  const receiver = await startReceiver()
  const db = new pg.Client({ connectionString: postgres.url("bench") })
  await db.connect()
  await db.query("UPDATE destinations SET url = $1", [`${receiver.url}/hook`])
  const attemptsBefore = (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM delivery_attempts")).rows[0]!.n
  const dispatcher = await startSignal({
    DATABASE_URL: postgres.url("bench"),
    SIGNAL_ROLE: "dispatcher",
    SIGNAL_RUNNER_PORT: String(await freePort()),
    SIGNAL_ALLOW_PRIVATE_NETWORKS: "127.0.0.0/8",
    SIGNAL_LOG_LEVEL: "Warning"
  })
  const pid = dispatcher.child.pid!
  const started = Date.now()
  let peakRss = rssMiB(pid)
  const sampler = setInterval(() => {
    if (dispatcher.child.exitCode === null) peakRss = Math.max(peakRss, rssMiB(pid))
  }, 200)
  while (Date.now() - started < seconds * 1000 && dispatcher.child.exitCode === null) {
    await new Promise((resolve) => setTimeout(resolve, 10_000))
    const { delivered } = await receiver.ask("progress")
    console.log(`  ${((Date.now() - started) / 1000).toFixed(0)} s: ${delivered} delivered, RSS ${rssMiB(pid).toFixed(0)} MiB (peak ${peakRss.toFixed(0)} MiB)`)
  }
  clearInterval(sampler)
  const elapsed = (Date.now() - started) / 1000
  const stats = await receiver.ask("progress")
  const exited = dispatcher.child.exitCode
  await dispatcher.stop()
  const attempts = (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM delivery_attempts")).rows[0]!.n - attemptsBefore
  const open = (await db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM delivery_intents WHERE status IN ('pending', 'retrying')"
  )).rows[0]!.n
  await db.end()
  await receiver.stop()
  console.log(
    `dispatcher over ${intents} open intents × ${destinations} destinations for ${elapsed.toFixed(0)} s` +
      (exited === null ? "" : ` (it exited early with ${exited})`) +
      `: peak RSS ${peakRss.toFixed(0)} MiB; ${stats.delivered} delivered (${(stats.delivered / elapsed).toFixed(0)} deliveries/s), ` +
      `${attempts} attempts recorded, ${open} intents still open, ${stats.connections} receiver connections`
  )
  for (const [message, count] of loggedProblems(dispatcher.output!())) console.log(`  dispatcher logged ${count}× ${message}`)
}
if (dispatcherSeconds > 0) await dispatcherRun(dispatcherSeconds)
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
    ? "complete: attempts, intents and events"
    : query.includes("SELECT min(head.next_attempt_at)")
    ? "nextOrderedDueAt"
    : undefined
  if (kind === undefined || seen.has(kind)) continue
  seen.add(kind)
  console.log(`\n--- ${kind} ---\n${entry.replace(/^.*?LOG:\s+/, "").trimEnd()}`)
}
