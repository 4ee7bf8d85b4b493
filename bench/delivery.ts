/**
 * Delivery throughput, with its peers in the same run, every system under test in a process of its
 * own and one receiver (its own process, bench/receiver.ts) for all of them:
 *
 * * `raw`: the same signed POSTs sent from memory with undici, 64 in flight: what the network and
 *   the receiver allow;
 * * `graphile`: a tuned graphile-worker roll-your-own (bench/graphile.ts): event, delivery and job
 *   rows in one transaction per batch, the attempt recorded;
 * * `signal`: `signal start` (gateway + dispatcher) on its own database, events published through the
 *   batch API, fanned out one each over the destinations;
 * * `signal-clusterN`: the same with a gateway process and N dispatcher processes;
 * * `signal-traced`: `signal` with tracing on at the default sampler, exporting OTLP/HTTP to the
 *   receiver (bytes counted); the table gives traced ÷ untraced when `signal` ran too;
 * * `signal-isolation`: `signal` with every tenth destination pointing at a receiver path that never
 *   answers (`timeoutSeconds` 5); ends when every healthy event is delivered and compares the healthy
 *   destinations' rate with theirs in the `signal` run (list `signal` first);
 * * `signal-open`: open loop: events published at a fixed rate (half of `signal`'s deliveries/s in
 *   the same run, else BENCH_OPEN_LOOP_RATE, default 500) in 20 ms ticks for BENCH_OPEN_LOOP_SECONDS
 *   (default 15) without waiting for deliveries, after the same load's first seconds on the freshly
 *   started Signal (its cold start, printed apart); prints publish→receipt percentiles, and how late
 *   the retries of a few destinations (500 first, 200 after; linear retry, 1 s) fired after they were due;
 * * `signal-open-clusterN`: the same open loop (same rate) through a gateway process and N dispatcher
 *   processes, where publishing and delivering do not share one thread.
 *
 * Each prints deliveries/s, publish→receipt latency percentiles and, for Signal, its CPU per delivery
 * (Signal and Postgres, from /proc) and its peak RSS; the runs that publish every event first (Signal's,
 * graphile's) also how long publishing took and the delivery rate after it, once only delivery was
 * left; then one table with the ratios (of the whole runs). Bounded: a
 * system stops when every event was delivered or after the time limit.
 *
 *   npm run bench -- [events=20000] [destinations=100] [timeLimitSeconds=300]
 *   BENCH_MODES=signal,raw,graphile (default those three; any of the modes above, in the order
 *   given), BENCH_FAST_PG=1 for a non-durable Postgres,
 *   BENCH_PROFILE_DIR=dir to write a CPU profile of Signal's process there,
 *   BENCH_OPEN_LOOP_WARMUP_SECONDS (default 5): how long the open loop first runs on the freshly
 *   started Signal (its cold start, reported apart) before the measured seconds,
 *   BENCH_PG_STATEMENTS=1 to print, after each Signal run, the statements Postgres spent most time on
 *   and the WAL it wrote,
 *   BENCH_PG_FLAGS='name=value …' for more Postgres settings (auto_explain, say) and BENCH_PG_LOG=file
 *   to keep what Postgres logs,
 *   BENCH_SIGNAL_NODE_OPTIONS='--max-old-space-size=256' to run Signal's processes with Node flags,
 *   BENCH_V8_POOL=default to run them with Node's default four V8 helper threads instead of
 *   `--v8-pool-size=0` (these and BENCH_SIGNAL_MAIN, another build's main.js, apply to every bench
 *   that starts Signal)
 *
 * The 1M-pending-intents memory figure is bench/queue-scale.ts's (BENCH_QUEUE_DISPATCHER_SECONDS).
 */
import { appendFileSync, readFileSync } from "node:fs"
import { join } from "node:path"
import pg from "pg"
import { Agent } from "undici"
import { ticksToMicros, treeTicks } from "../test/support/cpu"
import { freePort, startScratchPostgres } from "../test/support/postgres"
import { forkBench, loggedProblems, type Proc, rssMiB, startReceiver, startSignal } from "./processes"
import { postSigned } from "./signedPost"

const [events = 20_000, destinations = 100, timeLimitSeconds = 300] = process.argv.slice(2).map(Number)
const modes = (process.env.BENCH_MODES ?? "signal,raw,graphile").split(",")
const MAX_CONCURRENCY = 16
const filler = "x".repeat(640)

/** BENCH_PG_STATEMENTS=1: Postgres counts its statements (pg_stat_statements), and each Signal run prints its top ones. */
const countStatements = process.env.BENCH_PG_STATEMENTS === "1"
const postgres = await startScratchPostgres({
  durable: process.env.BENCH_FAST_PG !== "1",
  flags: [
    ...(countStatements
      ? ["-c", "shared_preload_libraries=pg_stat_statements", "-c", "pg_stat_statements.track=all", "-c",
        "pg_stat_statements.track_planning=on"]
      : []),
    ...(process.env.BENCH_PG_FLAGS ?? "").split(" ").filter((flag) => flag !== "").flatMap((flag) => ["-c", flag])
  ],
  ...(process.env.BENCH_PG_LOG ? { onLog: (line: string) => appendFileSync(process.env.BENCH_PG_LOG!, line) } : {})
})
const postmaster = Number(readFileSync(join(postgres.dataDir, "postmaster.pid"), "utf8").split("\n")[0])
const receiver = await startReceiver()
const ask = receiver.ask
const receiverUrl = `${receiver.url}/hook`

/** ~800 bytes on the wire, stamped when it is handed to the system under test. */
const payload = (n: number) => ({ n, sentAt: Date.now(), order: { id: `ord_${n}`, amount: 1000, currency: "EUR" }, note: filler })

/** The `at` percentile of ascending `sorted`. */
const percentile = (sorted: ReadonlyArray<number>, at: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((at / 100) * sorted.length))] ?? 0

interface Latency {
  readonly p50: number
  readonly p95: number
  readonly p99: number
  readonly max: number
}

/** Percentiles of `latencies` (ms, any order). */
const latencyOf = (latencies: Array<number>): Latency => {
  const sorted = latencies.sort((a, b) => a - b)
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted.at(-1) ?? 0 }
}

/**
 * The open loop first runs this long on the freshly started Signal, then the measured seconds: while
 * V8 has not yet optimised Signal's code (the first second or two) deliveries take up to ~10× longer.
 * That cold start is reported on a row of its own.
 */
const OPEN_LOOP_WARMUP_SECONDS = Number(process.env.BENCH_OPEN_LOOP_WARMUP_SECONDS ?? 5)

interface Result {
  readonly mode: string
  readonly name: string
  readonly perSecond: number
  readonly delivered: number
  /** Events this system had to deliver for its run to count as complete. */
  readonly expected: number
  readonly duplicates: number
  /** Connections the receiver accepted: keep-alive working keeps this near the concurrency. */
  readonly connections: number
  readonly latency: Latency
  /** Open loop: the latency of its warm-up, the first OPEN_LOOP_WARMUP_SECONDS after Signal started. */
  readonly coldLatency?: Latency
  readonly detail: string
  /** Signal runs: the largest RSS of any of its processes, MiB. */
  readonly peakRssMiB?: number
  /** Open loop: how late each retry started after it was due, ms. */
  readonly retryLateness?: ReadonlyArray<number>
  /** When the last delivery counted arrived (epoch ms). */
  readonly finishedAt: number
  /** Runs that publish everything first: how long that took, and the delivery rate after it. */
  readonly drain?: Drain
}

/** A closed-loop run split at its last publish's answer: the rest was the dispatchers' alone. */
interface Drain {
  readonly publishSeconds: number
  readonly deliveredMeanwhile: number
  readonly perSecond: number
}

/**
 * Waits until the receiver has `expected` events on `/hook` and `expectedFlaky` on `/flaky` (or the
 * time limit), then reads its figures; the rate is of `/hook` deliveries over `started` → now.
 */
const measure = async (
  mode: string,
  name: string,
  started: number,
  detail: () => string,
  expected = events,
  expectedFlaky = 0
): Promise<Result> => {
  const deadline = started + timeLimitSeconds * 1000
  while (Date.now() < deadline) {
    const progress = await ask("progress")
    if (progress.delivered >= expected && progress.flakyDelivered >= expectedFlaky) break
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  const finishedAt = Date.now()
  const seconds = (finishedAt - started) / 1000
  const stats = await ask("final")
  return {
    mode,
    name,
    perSecond: stats.delivered / seconds,
    delivered: stats.delivered,
    expected,
    duplicates: stats.requests - stats.delivered,
    connections: stats.connections,
    latency: latencyOf([...stats.latencies]),
    detail: detail(),
    finishedAt
  }
}

/** Where a run stands as its last publish is answered. */
const publishedNow = async () => ({ at: Date.now(), delivered: (await ask("progress")).delivered as number })

const withDrain = (result: Result, started: number, published: { readonly at: number; readonly delivered: number }): Result => ({
  ...result,
  drain: {
    publishSeconds: (published.at - started) / 1000,
    deliveredMeanwhile: published.delivered,
    perSecond: (result.delivered - published.delivered) / ((result.finishedAt - published.at) / 1000)
  }
})

const raw = async (): Promise<Result> => {
  const agent = new Agent({ keepAliveTimeout: 4_000, connections: 64 })
  const started = Date.now()
  let next = 0
  await Promise.all(Array.from({ length: 64 }, async () => {
    while (next < events) {
      const n = next++
      const id = `evt_raw${n}`
      const body = JSON.stringify({ id, type: `type.${n % destinations}`, topics: [], payload: payload(n) })
      await postSigned(agent, receiverUrl, id, body)
    }
  }))
  const result = await measure("raw", "raw undici (64 in flight)", started, () => "")
  await agent.close()
  return result
}

const graphile = async (): Promise<Result> => {
  await postgres.server.createDatabase("graphile")
  const worker = await forkBench("./graphile.ts", { DATABASE_URL: postgres.url("graphile"), RECEIVER_URL: receiverUrl })
  const publish = (batch: ReadonlyArray<unknown>) =>
    new Promise<void>((resolve, reject) => {
      worker.child.once("message", (answer) => {
        const { error } = answer as { error?: string }
        return error === undefined ? resolve() : reject(new Error(error))
      })
      worker.child.send({ events: batch })
    })
  const started = Date.now()
  for (let start = 0; start < events; start += 1000) {
    await publish(Array.from({ length: Math.min(1000, events - start) }, (_, k) => ({
      id: `evt_gw${start + k}`,
      type: `type.${(start + k) % destinations}`,
      payload: payload(start + k)
    })))
  }
  const published = await publishedNow()
  const result = await measure("graphile", "graphile-worker 0.18 (tuned)", started, () => "")
  await worker.stop()
  return withDrain(result, started, published)
}

/**
 * Signal on its own database: `signal start` as one process (gateway and dispatcher), or with
 * `dispatchers` > 0 a gateway process and that many dispatcher processes, as a cluster runs them;
 * a tenant and a sender to publish as; its peak RSS sampled every 200 ms.
 */
const startSignalSystem = async (database: string, dispatchers: number, extraEnv: Record<string, string> = {}) => {
  await postgres.server.createDatabase(database)
  const env = {
    DATABASE_URL: postgres.url(database),
    SIGNAL_ALLOW_PRIVATE_NETWORKS: "127.0.0.0/8",
    SIGNAL_LOG_LEVEL: "Warning",
    ...extraEnv
  }
  const profileDir = process.env.BENCH_PROFILE_DIR
  const server = await startSignal(dispatchers === 0 ? env : { ...env, SIGNAL_ROLE: "gateway" }, profileDir)
  const processes: Array<Proc> = [server]
  for (let i = 0; i < dispatchers; i++) {
    processes.push(
      await startSignal({ ...env, SIGNAL_ROLE: "dispatcher", SIGNAL_RUNNER_PORT: String(await freePort()) }, profileDir)
    )
  }
  const pids = processes.map((proc) => proc.child.pid!)
  const call = async (method: string, path: string, body: unknown) => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body)
    })
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`)
    return response.json() as Promise<any>
  }
  const tenant = await call("PUT", "/v1/tenants", { identifier: "bench", name: "Bench" })
  const sender = await call("PUT", "/v1/senders", { identifier: "bench", name: "Bench" })
  const addDestination = (name: string, eventType: string, path: string, settings: Record<string, unknown> = {}) =>
    call("POST", `/v1/tenants/${tenant.id}/destinations`, {
      name,
      eventTypes: [eventType],
      maxConcurrency: MAX_CONCURRENCY,
      variant: { type: "http_endpoint", url: `${receiver.url}${path}` },
      ...settings
    }) as Promise<{ readonly id: string }>
  const publish = (batch: ReadonlyArray<{ readonly eventType: string; readonly payload: unknown }>) =>
    call("POST", `/v1/tenants/${tenant.id}/events/batch`, {
      events: batch.map((event) => ({ senderId: sender.id, ...event }))
    })
  let peakRss = Math.max(...pids.map(rssMiB))
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, ...pids.map(rssMiB))
  }, 200)
  const ticks = () => ({
    signal: pids.reduce((sum, pid) => sum + treeTicks(pid), 0),
    gateway: treeTicks(pids[0]!),
    postgres: treeTicks(postmaster)
  })
  const ticksBefore = ticks()
  const peak = () => peakRss
  /** CPU per delivery since the start, for everything Signal and Postgres did, publishing included. */
  const cpu = (deliveries: number) => {
    const now = ticks()
    const perDelivery = (ticks: number) => (ticksToMicros(ticks) / Math.max(1, deliveries)).toFixed(0)
    const split = dispatchers === 0 ? "" : ` (gateway ${perDelivery(now.gateway - ticksBefore.gateway)} µs)`
    return `CPU per delivery (publish included): Signal ${perDelivery(now.signal - ticksBefore.signal)} µs${split}, ` +
      `Postgres ${perDelivery(now.postgres - ticksBefore.postgres)} µs; peak RSS per process ${peakRss.toFixed(0)} MiB`
  }
  /** Stops Signal; reports what the attempts that did not succeed ended with, and what it logged. */
  const stop = async () => {
    clearInterval(sampler)
    await Promise.all(processes.map((proc) => proc.stop()))
    const db = new pg.Client({ connectionString: env.DATABASE_URL })
    await db.connect()
    if (countStatements) await printStatements(db)
    const { rows } = await db.query<{ code: string; n: number }>(
      `SELECT coalesce(error_code, status) AS code, count(*)::int AS n FROM delivery_attempts
       WHERE status <> 'succeeded' GROUP BY 1 ORDER BY 2 DESC`
    )
    await db.end()
    const failed = rows.map((row) => `${row.n} ${row.code}`).join(", ")
    // Warnings and errors Signal logged, counted by message: what went wrong, if anything did.
    const logged = loggedProblems(processes.map((proc) => proc.output!()).join("\n"))
    for (const [message, count] of logged) console.log(`  Signal logged ${count}× ${message}`)
    return `failed attempts: ${failed === "" ? "none" : failed}`
  }
  return { env, addDestination, publish, cpu, peak, stop }
}

/**
 * What Postgres spent its time on in this database since the run began (BENCH_PG_STATEMENTS=1): the
 * statements with the most time planning and executing, with their calls, plans and mean times, and
 * how often sessions waited for the WAL to reach disk (synchronous commits), the kinds of records
 * it wrote, by relation, and the hot tables' sizes; then started afresh.
 */
/** Where the WAL stood at the run's checkpoint (BENCH_PG_STATEMENTS=1). */
let walStart = "0/0"
const printStatements = async (db: pg.Client) => {
  await db.query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
  const { rows } = await db.query<{ calls: string; plans: string; total: number; exec: number; plan: number; query: string }>(
    `SELECT calls::text, plans::text, total_exec_time + total_plan_time AS total, mean_exec_time AS exec,
       mean_plan_time AS plan, regexp_replace(query, '\\s+', ' ', 'g') AS query
     FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
     ORDER BY total_exec_time + total_plan_time DESC LIMIT 10`
  )
  console.log("  Postgres statements, by planning + execution time (total ms, calls, plans, mean execution µs, mean planning µs):")
  for (const row of rows) {
    const figures = [row.total.toFixed(0).padStart(7), row.calls.padStart(7), row.plans.padStart(7),
      (row.exec * 1000).toFixed(0).padStart(6), (row.plan * 1000).toFixed(0).padStart(6)]
    console.log(`    ${figures.join(" ")}  ${row.query.slice(0, 100)}`)
  }
  await db.query("SELECT pg_stat_statements_reset()")
  const [wal] = (await db.query<{ records: string; fpi: string; bytes: string }>(
    "SELECT wal_records::text AS records, wal_fpi::text AS fpi, wal_bytes::text AS bytes FROM pg_stat_wal"
  )).rows
  // every database's sessions: the run's is the only one busy
  const [flushes] = (await db.query<{ fsyncs: string }>(
    "SELECT coalesce(sum(fsyncs), 0)::text AS fsyncs FROM pg_stat_io WHERE object = 'wal' AND backend_type = 'client backend'"
  )).rows
  await db.query("SELECT pg_stat_reset_shared('io')")
  console.log(`  WAL since the run's checkpoint: ${wal.records} records, ${wal.fpi} full-page images, ${(Number(wal.bytes) / 2 ** 20).toFixed(1)} MiB; sessions waited for ${flushes.fsyncs} WAL flushes`)
  // What those records are (pg_walinspect): the kinds with the most, then the relations they changed.
  await db.query("CREATE EXTENSION IF NOT EXISTS pg_walinspect")
  const { rows: kinds } = await db.query<{ kind: string; count: string; bytes: string }>(
    `SELECT s."resource_manager/record_type" AS kind, s.count::text, (s.record_size + s.fpi_size)::text AS bytes
     FROM pg_get_wal_stats($1::pg_lsn, pg_current_wal_lsn(), true) s ORDER BY s.count DESC LIMIT 10`,
    [walStart]
  )
  console.log(`  WAL records by kind: ${kinds.map((row) => `${row.kind} ${row.count} (${(Number(row.bytes) / 2 ** 20).toFixed(1)} MiB)`).join(", ")}`)
  const { rows: relations } = await db.query<{ relation: string; kind: string; count: string }>(
    `SELECT coalesce(c.relname, b.relfilenode::text) AS relation, b.resource_manager || '/' || b.record_type AS kind,
       count(*)::text AS count
     FROM pg_get_wal_block_info($1::pg_lsn, pg_current_wal_lsn()) b
     LEFT JOIN pg_class c ON c.relfilenode = b.relfilenode
     GROUP BY 1, 2 ORDER BY count(*) DESC LIMIT 24`,
    [walStart]
  )
  console.log(`  WAL records by relation: ${relations.map((row) => `${row.relation} ${row.kind} ${row.count}`).join(", ")}`)
  // How large the hot tables came out: a row that had to move on an update leaves a copy and index entries behind.
  const { rows: sizes } = await db.query<{ relation: string; heap: string; indexes: string }>(
    `SELECT relname AS relation, (pg_relation_size(oid) / 8192)::text AS heap, (pg_indexes_size(oid) / 8192)::text AS indexes
     FROM pg_class WHERE relname IN ('events', 'delivery_intents', 'delivery_attempts') ORDER BY relname`
  )
  console.log(`  pages (heap, indexes): ${sizes.map((row) => `${row.relation} ${row.heap}, ${row.indexes}`).join("; ")}`)
}

/** Every tenth destination hangs in the isolation run. */
const hangs = (destination: number) => destination % 10 === 0

/**
 * The event run through Signal: `events` events, one each to `destinations` destinations, published
 * in batches of 1,000 as fast as the API takes them. `traced`: OTLP/HTTP export to the receiver at
 * the default sampler. `isolation`: every tenth destination never answers (timeout 5 s) and the run
 * ends when the others have all their events.
 */
const signal = async (mode: string, dispatchers: number, options: { traced?: boolean; isolation?: boolean } = {}) => {
  const database = mode.replace(/-/g, "_")
  const system = await startSignalSystem(
    database,
    dispatchers,
    options.traced ? { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: "signal-bench" } : {}
  )
  for (let i = 0; i < destinations; i++) {
    const hanging = options.isolation === true && hangs(i)
    await system.addDestination(`d${i}`, `type.${i}`, hanging ? "/hang" : "/hook", hanging ? { timeoutSeconds: 5 } : {})
  }
  let expected = events
  if (options.isolation) {
    expected = 0
    for (let n = 0; n < events; n++) if (!hangs(n % destinations)) expected++
  }
  const started = Date.now()
  for (let start = 0; start < events; start += 1000) {
    await system.publish(Array.from({ length: Math.min(1000, events - start) }, (_, k) => ({
      eventType: `type.${(start + k) % destinations}`,
      payload: payload(start + k)
    })))
  }
  const name = options.isolation
    ? "Signal, 10 % of destinations hanging (healthy deliveries)"
    : options.traced
    ? "Signal (one process, tracing on)"
    : dispatchers === 0
    ? "Signal (npm start, one process)"
    : `Signal (gateway + ${dispatchers} dispatcher processes)`
  const published = await publishedNow()
  const result = withDrain(await measure(mode, name, started, () => system.cpu(expected), expected), started, published)
  const failed = await system.stop()
  let exported = ""
  if (options.traced) {
    // After the stop, so the spans flushed at shutdown count too.
    const { otlp } = await ask("progress")
    exported = "; OTLP received: " + (Object.entries(otlp).map(([path, sink]) =>
      `${path} ${(sink.bytes / 1024).toFixed(0)} KiB in ${sink.requests} requests`
    ).join(", ") || "nothing")
  }
  if (options.isolation) {
    const { hung } = await ask("progress")
    exported = `; ${hung} requests held open by the hanging destinations`
  }
  return { ...result, detail: `${result.detail}; ${failed}${exported}`, peakRssMiB: system.peak() }
}

const FLAKY_DESTINATIONS = 5
/** One event to a flaky destination every this many ms. */
const FLAKY_EVERY_MS = 500

type SignalSystem = Awaited<ReturnType<typeof startSignalSystem>>

/**
 * Publishes at `rate` events per second for `seconds` in 20 ms ticks, a batch per tick, whatever
 * Signal is doing (a tick does not wait for the previous one's answer), and one event to a flaky
 * destination every FLAKY_EVERY_MS when `flaky` is true; resolves when every publish was answered.
 */
const publishAtRate = async (system: SignalSystem, rate: number, seconds: number, flaky: boolean) => {
  const total = Math.round(rate * seconds)
  const flakyTotal = flaky ? Math.floor((seconds * 1000) / FLAKY_EVERY_MS) : 0
  let sent = 0
  let flakySent = 0
  let errors = 0
  /** How long each batch POST took to be answered (accepted: committed), ms. */
  const answers: Array<number> = []
  const inFlight = new Set<Promise<unknown>>()
  const started = Date.now()
  await new Promise<void>((resolve) => {
    const tick = () => {
      const elapsed = Date.now() - started
      const batch: Array<{ eventType: string; payload: unknown }> = []
      // Catch up to the schedule, so a late timer does not lower the rate.
      const due = Math.min(total, Math.floor((rate * elapsed) / 1000))
      for (; sent < due; sent++) batch.push({ eventType: `type.${sent % destinations}`, payload: payload(sent) })
      const flakyDue = Math.min(flakyTotal, Math.floor(elapsed / FLAKY_EVERY_MS))
      for (; flakySent < flakyDue; flakySent++) {
        batch.push({ eventType: `flaky.${flakySent % FLAKY_DESTINATIONS}`, payload: payload(-1 - flakySent) })
      }
      for (let start = 0; start < batch.length; start += 1000) {
        const posted = Date.now()
        const post = system.publish(batch.slice(start, start + 1000)).then(
          () => answers.push(Date.now() - posted),
          () => errors++
        )
        inFlight.add(post)
        void post.finally(() => inFlight.delete(post))
      }
      if (sent >= total && flakySent >= flakyTotal) {
        clearInterval(timer)
        resolve()
      }
    }
    const timer = setInterval(tick, 20)
  })
  const publishSeconds = (Date.now() - started) / 1000
  await Promise.all(inFlight)
  answers.sort((a, b) => a - b)
  return { started, sent, flakySent, errors, answers, publishSeconds }
}

/**
 * Open loop (see `publishAtRate`): first OPEN_LOOP_WARMUP_SECONDS on the freshly started Signal (its
 * cold start, reported apart) until delivered, then the measured `seconds`; the receiver times
 * publish → receipt. Alongside the measured part, a few flaky destinations (500 first, 200 after;
 * linear retry every 1 s): each retry's lateness is its second attempt's start minus the due time
 * Signal stamped on the intent (`next_attempt_at`, polled every 100 ms while the intent waits).
 */
const openLoop = async (mode: string, rate: number, seconds: number, dispatchers: number): Promise<Result> => {
  const system = await startSignalSystem(mode.replaceAll("-", "_"), dispatchers)
  for (let i = 0; i < destinations; i++) await system.addDestination(`d${i}`, `type.${i}`, "/hook")
  const flakyIds: Array<string> = []
  for (let j = 0; j < FLAKY_DESTINATIONS; j++) {
    const destination = await system.addDestination(`flaky${j}`, `flaky.${j}`, "/flaky", {
      retry: { type: "linear", delaySeconds: 1, maxAttempts: 5 }
    })
    flakyIds.push(destination.id)
  }
  const cold = await publishAtRate(system, rate, OPEN_LOOP_WARMUP_SECONDS, false)
  const coldLatency = (await measure(mode, "cold start", cold.started, () => "", cold.sent)).latency
  await ask("reset")

  const db = new pg.Client({ connectionString: system.env.DATABASE_URL })
  await db.connect()
  const dues = new Map<string, number>()
  let polling = true
  const poll = (async () => {
    while (polling) {
      const { rows } = await db.query<{ id: string; due: Date }>(
        `SELECT id, next_attempt_at AS due FROM delivery_intents
         WHERE status = 'retrying' AND attempt_count = 1 AND destination_id = ANY($1)`,
        [flakyIds]
      )
      for (const row of rows) if (!dues.has(row.id)) dues.set(row.id, row.due.getTime())
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  })()

  const published = await publishAtRate(system, rate, seconds, true)
  const { sent, flakySent, answers } = published
  const topology = dispatchers === 0 ? "" : ` (gateway + ${dispatchers} dispatcher processes)`
  const result = await measure(
    mode,
    `Signal open loop${topology} at ${rate.toFixed(0)} events/s for ${seconds} s`,
    published.started,
    () => system.cpu(cold.sent + sent),
    sent,
    flakySent
  )
  polling = false
  await poll
  // After the stop: the attempts Signal still had to write are written by then.
  const failed = await system.stop()
  const { rows } = await db.query<{ intent: string; started: Date; completed: Date }>(
    `SELECT a2.intent_id AS intent, a2.started_at AS started, a1.completed_at AS completed
     FROM delivery_attempts a2
     JOIN delivery_attempts a1 ON a1.intent_id = a2.intent_id AND a1.attempt_number = 1
     WHERE a2.attempt_number = 2 AND a2.destination_id = ANY($1)`,
    [flakyIds]
  )
  // Where the time goes: from the publish's send (the payload's stamp) to its intent's insert (its
  // statement's start), and from there to its first attempt.
  const firstAttempts = await db.query<{ ms: number; inserted: number }>(
    `SELECT extract(epoch FROM a.started_at - i.created_at) * 1000 AS ms,
       extract(epoch FROM i.created_at) * 1000 - (e.payload->>'sentAt')::float8 AS inserted
     FROM delivery_attempts a JOIN delivery_intents i ON i.id = a.intent_id JOIN events e ON e.id = i.event_id
     WHERE a.attempt_number = 1 AND i.created_at >= $1`,
    [new Date(published.started)]
  )
  const toFirstAttempt = firstAttempts.rows.map((row) => Math.round(Number(row.ms))).sort((a, b) => a - b)
  const toInsert = firstAttempts.rows.map((row) => Math.round(Number(row.inserted))).sort((a, b) => a - b)
  await db.end()
  const late = rows.filter((row) => dues.has(row.intent)).map((row) => row.started.getTime() - dues.get(row.intent)!)
    .sort((a, b) => a - b)
  const sinceFirst = rows.map((row) => row.started.getTime() - row.completed.getTime()).sort((a, b) => a - b)
  const retries = `retries (linear 1 s ±20 % jitter): ${rows.length}/${flakySent} second attempts; ` +
    `started after due (next_attempt_at, ${late.length} seen): p50 ${percentile(late, 50)} ms p99 ${percentile(late, 99)} ms ` +
    `max ${late.at(-1) ?? "—"} ms, min ${late[0] ?? "—"} ms, ${late.filter((ms) => ms <= 1000).length} within 1 s; ` +
    `after the first attempt ended: ` +
    `p50 ${percentile(sinceFirst, 50)} ms max ${sinceFirst.at(-1) ?? "—"} ms`
  return {
    ...result,
    detail: `after ${cold.sent} in the first ${OPEN_LOOP_WARMUP_SECONDS} s (${cold.errors} publish errors), published ` +
      `${sent} in ${published.publishSeconds.toFixed(1)} s (${published.errors} publish errors; batch POST answered ` +
      `p50 ${percentile(answers, 50)} ms p99 ${percentile(answers, 99)} ms max ${answers.at(-1) ?? "—"} ms); ` +
      `publish sent → intent inserted p50 ${percentile(toInsert, 50)} ms p99 ${percentile(toInsert, 99)} ms, ` +
      `→ first attempt started p50 ${percentile(toFirstAttempt, 50)} ms p99 ${percentile(toFirstAttempt, 99)} ms; ${retries}; ` +
      `${result.detail}; ${failed}`,
    coldLatency,
    peakRssMiB: system.peak(),
    retryLateness: late
  }
}

const OPEN_LOOP_SECONDS = Number(process.env.BENCH_OPEN_LOOP_SECONDS ?? 15)
const results: Array<Result> = []
const run = (mode: string): Promise<Result> => {
  if (mode === "raw") return raw()
  if (mode === "graphile") return graphile()
  if (mode === "signal") return signal(mode, 0)
  if (mode === "signal-traced") return signal(mode, 0, { traced: true })
  if (mode === "signal-isolation") return signal(mode, 0, { isolation: true })
  // `signal-open`, `signal-open-cluster2`: one process, or a gateway and two dispatcher processes
  const open = /^signal-open(?:-cluster(\d+))?$/.exec(mode)
  if (open) {
    // Half the one-process maximum of this run, when it has one.
    const measured = results.find((result) => result.mode === "signal")
    const rate = measured ? measured.perSecond / 2 : Number(process.env.BENCH_OPEN_LOOP_RATE ?? 500)
    return openLoop(mode, rate, OPEN_LOOP_SECONDS, Number(open[1] ?? 0))
  }
  // `signal-cluster2`: a gateway and two dispatcher processes
  const cluster = /^signal-cluster(\d+)$/.exec(mode)
  if (cluster) return signal(mode, Number(cluster[1]))
  throw new Error(`unknown mode ${mode}`)
}
/**
 * Each system starts from a checkpoint: what the runs before it wrote is flushed to the tables now,
 * not while it runs (Postgres starts one once enough WAL has accumulated, and the runs before may have
 * left it nearly due: one started in the open loop's first seconds).
 */
const checkpoint = async () => {
  const db = new pg.Client({ connectionString: postgres.url("postgres") })
  await db.connect()
  await db.query("CHECKPOINT")
  if (countStatements) {
    await db.query("SELECT pg_stat_reset_shared('wal'); SELECT pg_stat_reset_shared('io')")
    walStart = (await db.query<{ lsn: string }>("SELECT pg_current_wal_lsn()::text AS lsn")).rows[0].lsn
  }
  await db.end()
}

const drainText = (drain: Drain) =>
  `publishing took ${drain.publishSeconds.toFixed(1)} s (${drain.deliveredMeanwhile} delivered meanwhile), then ` +
  `${drain.perSecond.toFixed(0)} deliveries/s`

for (const mode of modes) {
  await ask("reset")
  await checkpoint()
  const result = await run(mode)
  results.push(result)
  console.log(
    `${result.name}: ${result.delivered}/${result.expected} delivered (${result.duplicates} duplicates), ` +
      `${result.perSecond.toFixed(0)} deliveries/s, latency publish→receipt p50 ${result.latency.p50} ms ` +
      `p95 ${result.latency.p95} ms p99 ${result.latency.p99} ms max ${result.latency.max} ms, ` +
      `${result.connections} receiver connections` +
      (result.drain === undefined ? "" : `; ${drainText(result.drain)}`) +
      (result.detail === "" ? "" : `; ${result.detail}`)
  )
}

// Ratios are of the fastest Signal set-up in the run, of the closed-loop runs of all events.
const byMode = (mode: string) => results.find((result) => result.mode === mode)
const isOpenLoop = (result: Result) => result.mode.startsWith("signal-open")
const throughputRuns = results.filter((result) => !isOpenLoop(result) && result.mode !== "signal-isolation")
const signalResult = throughputRuns.filter((result) => result.mode.startsWith("signal")).sort((a, b) => b.perSecond - a.perSecond)[0]
console.log(`\n${events} events × ${destinations} destinations (maxConcurrency ${MAX_CONCURRENCY})`)
console.log("| system | deliveries/s | Signal ÷ it | publishing took, then deliveries/s |")
console.log("|---|---|---|---|")
for (const result of throughputRuns) {
  const ratio = signalResult && result !== signalResult ? `${(signalResult.perSecond / result.perSecond).toFixed(2)}×` : "—"
  const drain = result.drain === undefined ? "—" : `${result.drain.publishSeconds.toFixed(1)} s, ${result.drain.perSecond.toFixed(0)}`
  console.log(`| ${result.name} | ${result.perSecond.toFixed(0)} | ${ratio} | ${drain} |`)
}
const untraced = byMode("signal")
const traced = byMode("signal-traced")
if (untraced && traced) {
  console.log(`| tracing on ÷ off (one process) | ${traced.perSecond.toFixed(0)} ÷ ${untraced.perSecond.toFixed(0)} | ${(traced.perSecond / untraced.perSecond).toFixed(2)}× | — |`)
}
const isolation = byMode("signal-isolation")
if (isolation) {
  // The healthy destinations' own rate in the all-healthy run: their share of its deliveries.
  const share = isolation.expected / events
  const baseline = untraced ? `${(isolation.perSecond / (untraced.perSecond * share)).toFixed(2)}×` : "— (no `signal` run)"
  console.log(
    `| healthy destinations with 10 % hanging ÷ the same destinations all healthy (${(share * 100).toFixed(0)} % of \`signal\`'s rate) | ` +
      `${isolation.perSecond.toFixed(0)}${untraced ? ` ÷ ${(untraced.perSecond * share).toFixed(0)}` : ""} | ${baseline} | — |`
  )
}
const openLoops = results.filter(isOpenLoop)
for (const open of openLoops) {
  const row = (what: string, latency: Latency) =>
    console.log(`| ${open.name}: publish→receipt p50 / p95 / p99 / max${what} | ${latency.p50} / ${latency.p95} / ${latency.p99} / ${latency.max} ms | — | — |`)
  row(`, its first ${OPEN_LOOP_WARMUP_SECONDS} s after Signal started (cold start, before the measured seconds)`, open.coldLatency!)
  row("", open.latency)
}

// The delivery issue's targets, each where this run measured it.
const targets: Array<[string, string, boolean]> = []
const target = (name: string, measured: string, met: boolean) => targets.push([name, measured, met])
if (signalResult) {
  target("≥5,000 deliveries/s", `${signalResult.perSecond.toFixed(0)}/s (${signalResult.name})`, signalResult.perSecond >= 5000)
  const graphileResult = byMode("graphile")
  if (graphileResult) {
    const ratio = signalResult.perSecond / graphileResult.perSecond
    target("≥3.5× graphile-worker", `${ratio.toFixed(2)}×`, ratio >= 3.5)
  }
  const rawResult = byMode("raw")
  if (rawResult) {
    const ratio = signalResult.perSecond / rawResult.perSecond
    target("≥0.5× raw undici", `${ratio.toFixed(2)}×`, ratio >= 0.5)
  }
}
if (untraced && traced) {
  const ratio = traced.perSecond / untraced.perSecond
  target("tracing on ≥0.8× off", `${ratio.toFixed(2)}×`, ratio >= 0.8)
}
for (const open of openLoops) {
  const where = open.mode === "signal-open" ? "one process" : open.mode.replace("signal-open-", "")
  target(`open loop p50 ≤20 ms (${where})`, `${open.latency.p50} ms`, open.latency.p50 <= 20)
  target(`open loop p99 ≤100 ms (${where})`, `${open.latency.p99} ms`, open.latency.p99 <= 100)
  const late = open.retryLateness ?? []
  target(`retries within 1 s of due (${where})`, `${late.filter((ms) => ms <= 1000).length}/${late.length}, latest ${late.at(-1) ?? "—"} ms`, late.length > 0 && late.every((ms) => ms <= 1000))
}
if (isolation && untraced) {
  const ratio = isolation.perSecond / (untraced.perSecond * (isolation.expected / events))
  target("healthy ≥90 % of all-healthy with 10 % hanging", `${(ratio * 100).toFixed(0)} %`, ratio >= 0.9)
}
const signalRss = throughputRuns.filter((result) => result.peakRssMiB !== undefined)
if (signalRss.length > 0) {
  const largest = Math.max(...signalRss.map((result) => result.peakRssMiB!))
  target(`RSS ≤300 MiB per process (${events} events)`, `${largest.toFixed(0)} MiB`, largest <= 300)
}
if (targets.length > 0) {
  console.log("\n| target | measured | met |\n|---|---|---|")
  for (const [name, measured, met] of targets) console.log(`| ${name} | ${measured} | ${met ? "yes" : "no"} |`)
}

await receiver.stop()
await postgres.dispose()
process.exit(results.every((result) => result.delivered >= result.expected) ? 0 : 1)
