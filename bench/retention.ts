/**
 * Retention at scale: an embedded PostgreSQL seeded with `attempts` delivery attempts (four per
 * intent, one intent per event, created evenly over the last 60 days, so about half is past the
 * default 30-day retention), then Signal's own RetentionRepo deletes old events with their intents
 * and attempts, and clears old response bodies, in its production batch size, each batch its own
 * transaction. Prints the seed time, per-batch latency (p50 / p99 / max: the longest any row lock is
 * held), throughput, and the latency of an attempt insert made by a concurrent writer meanwhile.
 * Each phase is time-boxed to `seconds`; the rest is extrapolated from the measured rate.
 *
 *   npm run bench:retention -- [attempts=10000000] [seconds=60]
 */
import { SqlClient } from "@effect/sql"
import type { TenantId } from "@signal/domain/Ids"
import { clientLayer } from "@signal/store/Database"
import * as Migrations from "@signal/store/Migrations"
import { DEFAULT_RETENTION_BATCH, RetentionRepo } from "@signal/store/RetentionRepo"
import { ConfigProvider, Effect, Fiber, Layer, Redacted } from "effect"
import { startScratchPostgres } from "../test/support/postgres"

const [attempts = 10_000_000, seconds = 60] = process.argv.slice(2).map(Number)
const events = Math.ceil(attempts / 4)
const tenant = "ten_bench000000" as TenantId
const DAY_MS = 86_400_000

const postgres = await startScratchPostgres({ flags: ["-c", "shared_buffers=256MB", "-c", "max_wal_size=4GB"] })
await postgres.server.createDatabase("bench")

const Database = Layer.provideMerge(Migrations.layer, clientLayer(Redacted.make(postgres.url("bench")))).pipe(
  Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["SIGNAL_DB_POOL_SIZE", "4"]]))))
)

const percentile = (sorted: ReadonlyArray<number>, p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]
const summary = (timings: Array<number>) => {
  timings.sort((a, b) => a - b)
  return `p50 ${percentile(timings, 0.5).toFixed(1)} ms, p99 ${percentile(timings, 0.99).toFixed(1)} ms, max ${
    timings[timings.length - 1].toFixed(1)
  } ms`
}

const program = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const retention = yield* RetentionRepo
  const seedStarted = Date.now()
  yield* sql`INSERT INTO tenants (id, identifier, name) VALUES (${tenant}, 'bench', 'bench')`
  yield* sql`INSERT INTO senders (id, identifier, name) VALUES ('snd_bench000000', 'bench', 'bench')`
  yield* sql`
    INSERT INTO destinations (id, tenant_id, name, url, method, timeout_ms, retry, max_concurrency, signing_secret)
    SELECT 'dst_bench' || lpad(g::text, 8, '0'), ${tenant}, 'd' || g, 'http://127.0.0.1:9/hook', 'POST', 5000,
      '{"type":"exponential","delaySeconds":30,"maxAttempts":4}', 16, 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
    FROM generate_series(1, 100) g`
  // In chunks, so no single statement holds the whole seed in memory.
  const chunk = 250_000
  for (let from = 1; from <= events; from += chunk) {
    const to = Math.min(events, from + chunk - 1)
    // Event g was published (60 days × g / events) ago, oldest first.
    const at = sql`now() - make_interval(secs => (${events} - g)::float8 / ${events} * 60 * 86400)`
    yield* sql`
      INSERT INTO events (id, tenant_id, sender_id, type, payload, status, destination_count, failure_count, created_at)
      SELECT 'evt_bench' || lpad(g::text, 10, '0'), ${tenant}, 'snd_bench000000', 'order.created',
        jsonb_build_object('n', g, 'note', repeat('x', 200)), 'failed', 1, 1, ${at}
      FROM generate_series(${from}::int, ${to}::int) g`
    yield* sql`
      INSERT INTO delivery_intents (id, tenant_id, event_id, destination_id, status, attempt_count, created_at)
      SELECT 'int_bench' || lpad(g::text, 10, '0'), ${tenant}, 'evt_bench' || lpad(g::text, 10, '0'),
        'dst_bench' || lpad((g % 100 + 1)::text, 8, '0'), 'failed', 4, ${at}
      FROM generate_series(${from}::int, ${to}::int) g`
    yield* sql`
      INSERT INTO delivery_attempts (id, tenant_id, intent_id, event_id, destination_id, attempt_number, status,
        duration_ms, response_status, response_headers, response_body, started_at, completed_at)
      SELECT 'att_bench' || lpad(g::text, 10, '0') || n, ${tenant}, 'int_bench' || lpad(g::text, 10, '0'),
        'evt_bench' || lpad(g::text, 10, '0'), 'dst_bench' || lpad((g % 100 + 1)::text, 8, '0'), n, 'failed', 120,
        500, '{"content-type":"text/plain"}', repeat('e', 300), ${at} + n * interval '1 minute',
        ${at} + n * interval '1 minute'
      FROM generate_series(${from}::int, ${to}::int) g, generate_series(1, 4) n`
    process.stdout.write(`\rseeded ${to * 4} attempts`)
  }
  yield* sql`VACUUM ANALYZE`
  const size = yield* sql<{ size: string }>`SELECT pg_size_pretty(pg_total_relation_size('delivery_attempts')) AS size`
  console.log(
    `\nseeded ${events} events, ${events} intents, ${events * 4} attempts (attempts table with indexes: ${
      size[0].size
    }) in ${((Date.now() - seedStarted) / 1000).toFixed(0)} s`
  )

  // A concurrent writer: one attempt insert every 50 ms, as deliveries would, timed while pruning runs.
  const writes: Array<number> = []
  let written = 0
  const writer = yield* Effect.forever(Effect.gen(function*() {
    const started = performance.now()
    written++
    yield* sql`
      INSERT INTO delivery_attempts (id, tenant_id, intent_id, event_id, destination_id, attempt_number, status,
        duration_ms, started_at, completed_at)
      VALUES (${`att_writer${written}`}, ${tenant}, ${`int_bench${String(events).padStart(10, "0")}`},
        ${`evt_bench${String(events).padStart(10, "0")}`}, 'dst_bench00000001', ${100 + written}, 'succeeded', 5, now(), now())`
    writes.push(performance.now() - started)
    yield* Effect.sleep("50 millis")
  })).pipe(Effect.fork)

  const now = Date.now()
  const phase = Effect.fn("phase")(function*(name: string, step: Effect.Effect<number, unknown>, unit: string, expected: number) {
    const timings: Array<number> = []
    let total = 0
    const started = performance.now()
    while (performance.now() - started < seconds * 1000) {
      const t = performance.now()
      const n = yield* step
      timings.push(performance.now() - t)
      total += n
      if (n < DEFAULT_RETENTION_BATCH) break
    }
    const elapsed = (performance.now() - started) / 1000
    const rate = total / elapsed
    console.log(
      `${name}: ${total} ${unit} in ${timings.length} batches over ${elapsed.toFixed(1)} s, ${rate.toFixed(0)} ${unit}/s; ` +
        `per batch ${summary(timings)}; all ${expected} due would take ~${(expected / rate / 60).toFixed(1)} min`
    )
  })

  let attemptsDeleted = 0
  yield* phase(
    "delete past 30 days (events + intents + attempts)",
    Effect.map(retention.pruneEvents(tenant, new Date(now - 30 * DAY_MS), DEFAULT_RETENTION_BATCH), (n) => {
      attemptsDeleted += n.attempts
      return n.events
    }),
    "events",
    Math.floor(events / 2)
  )
  console.log(`  attempts deleted with them: ${attemptsDeleted}`)
  yield* phase(
    "clear response bodies past 7 days",
    retention.pruneResponseBodies(tenant, new Date(now - 7 * DAY_MS), DEFAULT_RETENTION_BATCH),
    "bodies",
    Math.floor(events * 4 * 23 / 60)
  )
  yield* Fiber.interrupt(writer)
  console.log(`concurrent attempt inserts (${writes.length}): ${summary(writes)}`)
})

await Effect.runPromise(program.pipe(Effect.provide(RetentionRepo.Default), Effect.provide(Database), Effect.scoped))
  .finally(() => postgres.dispose())
