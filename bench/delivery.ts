/**
 * Delivery throughput, with its peers in the same run, every system under test in a process of its
 * own and one receiver (its own process, answering 200) for all of them:
 *
 * * `raw`: the same signed POSTs sent from memory with undici, 64 in flight: what the network and
 *   the receiver allow;
 * * `graphile`: a tuned graphile-worker roll-your-own (bench/graphile.ts): event, delivery and job
 *   rows in one transaction per batch, the attempt recorded;
 * * `signal`: `signal start` (gateway + dispatcher) on its own database, events published through the
 *   batch API, fanned out one each over the destinations.
 *
 * Each prints deliveries/s, publish→receipt latency percentiles and, for Signal, its CPU per delivery
 * (Signal and Postgres, from /proc) and its peak RSS; then one table with the ratios. Bounded: a
 * system stops when every event was delivered or after the time limit.
 *
 *   npm run bench -- [events=20000] [destinations=100] [timeLimitSeconds=300]
 *   BENCH_MODES=signal,raw,graphile (default all three; signal-clusterN adds a gateway with N
 *   dispatcher processes), BENCH_FAST_PG=1 for a non-durable Postgres,
 *   BENCH_PROFILE_DIR=dir to write a CPU profile of Signal's process there
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import pg from "pg"
import { Agent } from "undici"
import { ticksToMicros, treeTicks } from "../test/support/cpu"
import { freePort, startScratchPostgres } from "../test/support/postgres"
import { forkBench, rssMiB, startSignal } from "./processes"
import type { ReceiverStats } from "./receiver"
import { postSigned } from "./signedPost"

const [events = 20_000, destinations = 100, timeLimitSeconds = 300] = process.argv.slice(2).map(Number)
const modes = (process.env.BENCH_MODES ?? "signal,raw,graphile").split(",")
const MAX_CONCURRENCY = 16
const filler = "x".repeat(640)

const postgres = await startScratchPostgres({ durable: process.env.BENCH_FAST_PG !== "1" })
const postmaster = Number(readFileSync(join(postgres.dataDir, "postmaster.pid"), "utf8").split("\n")[0])
const receiver = await forkBench("./receiver.ts")
const ask = (question: "progress" | "final" | "reset") =>
  new Promise<ReceiverStats>((resolve) => {
    receiver.child.once("message", (stats) => resolve(stats as ReceiverStats))
    receiver.child.send(question)
  })
const receiverUrl = `${receiver.url}/hook`

/** ~800 bytes on the wire, stamped when it is handed to the system under test. */
const payload = (n: number) => ({ n, sentAt: Date.now(), order: { id: `ord_${n}`, amount: 1000, currency: "EUR" }, note: filler })

interface Result {
  readonly name: string
  readonly perSecond: number
  readonly delivered: number
  readonly duplicates: number
  /** Connections the receiver accepted: keep-alive working keeps this near the concurrency. */
  readonly connections: number
  readonly latency: { readonly p50: number; readonly p99: number }
  readonly detail: string
}

/** Waits until the receiver has every event (or the time limit), then reads its figures. */
const measure = async (name: string, started: number, detail: () => string): Promise<Result> => {
  const deadline = started + timeLimitSeconds * 1000
  while ((await ask("progress")).delivered < events && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  const seconds = (Date.now() - started) / 1000
  const stats = await ask("final")
  const latencies = [...stats.latencies].sort((a, b) => a - b)
  const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0
  return {
    name,
    perSecond: stats.delivered / seconds,
    delivered: stats.delivered,
    duplicates: stats.requests - stats.delivered,
    connections: stats.connections,
    latency: { p50: at(50), p99: at(99) },
    detail: detail()
  }
}

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
  const result = await measure("raw undici (64 in flight)", started, () => "")
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
  const result = await measure("graphile-worker 0.18 (tuned)", started, () => "")
  await worker.stop()
  return result
}

/**
 * Signal on its own database: `signal start` as one process (gateway and dispatcher), or with
 * `dispatchers` > 0 a gateway process and that many dispatcher processes, as a cluster runs them.
 */
const signal = async (dispatchers: number): Promise<Result> => {
  const database = dispatchers === 0 ? "signal" : `signal_${dispatchers}`
  await postgres.server.createDatabase(database)
  const env = {
    DATABASE_URL: postgres.url(database),
    SIGNAL_ALLOW_PRIVATE_NETWORKS: "127.0.0.0/8",
    SIGNAL_LOG_LEVEL: "Warning"
  }
  const profileDir = process.env.BENCH_PROFILE_DIR
  const server = await startSignal(dispatchers === 0 ? env : { ...env, SIGNAL_ROLE: "gateway" }, profileDir)
  const processes = [server]
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
  for (let i = 0; i < destinations; i++) {
    await call("POST", `/v1/tenants/${tenant.id}/destinations`, {
      name: `d${i}`,
      eventTypes: [`type.${i}`],
      maxConcurrency: MAX_CONCURRENCY,
      variant: { type: "http_endpoint", url: receiverUrl }
    })
  }
  const signalTicks = () => pids.reduce((sum, pid) => sum + treeTicks(pid), 0)
  let peakRss = Math.max(...pids.map(rssMiB))
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, ...pids.map(rssMiB))
  }, 200)
  const ticksBefore = { signal: signalTicks(), gateway: treeTicks(pids[0]), postgres: treeTicks(postmaster) }
  const started = Date.now()
  for (let start = 0; start < events; start += 1000) {
    await call("POST", `/v1/tenants/${tenant.id}/events/batch`, {
      events: Array.from({ length: Math.min(1000, events - start) }, (_, k) => ({
        senderId: sender.id,
        eventType: `type.${(start + k) % destinations}`,
        payload: payload(start + k)
      }))
    })
  }
  const name = dispatchers === 0
    ? "Signal (npm start, one process)"
    : `Signal (gateway + ${dispatchers} dispatcher processes)`
  const result = await measure(name, started, () => {
    // µs per delivery for everything Signal did, publishing included
    const perDelivery = (ticks: number) => (ticksToMicros(ticks) / events).toFixed(0)
    const split = dispatchers === 0
      ? ""
      : ` (gateway ${perDelivery(treeTicks(pids[0]) - ticksBefore.gateway)} µs)`
    return `CPU per delivery (publish included): Signal ${perDelivery(signalTicks() - ticksBefore.signal)} µs${split}, ` +
      `Postgres ${perDelivery(treeTicks(postmaster) - ticksBefore.postgres)} µs; peak RSS per process ${peakRss.toFixed(0)} MiB`
  })
  clearInterval(sampler)
  await Promise.all(processes.map((proc) => proc.stop()))
  // What the attempts that did not succeed ended with: a duplicate is explained by one of these.
  const db = new pg.Client({ connectionString: env.DATABASE_URL })
  await db.connect()
  const { rows } = await db.query<{ code: string; n: number }>(
    `SELECT coalesce(error_code, status) AS code, count(*)::int AS n FROM delivery_attempts
     WHERE status <> 'succeeded' GROUP BY 1 ORDER BY 2 DESC`
  )
  await db.end()
  const failed = rows.map((row) => `${row.n} ${row.code}`).join(", ")
  // Warnings and errors Signal logged, counted by message: what went wrong, if anything did.
  const logged = new Map<string, number>()
  for (const line of processes.flatMap((proc) => proc.output!().split("\n"))) {
    const message = /"message":"([^"]{0,100})/.exec(line)?.[1]
    if (message !== undefined && /"logLevel":"(WARN|ERROR|FATAL)"/.test(line)) logged.set(message, (logged.get(message) ?? 0) + 1)
  }
  for (const [message, count] of logged) console.log(`  Signal logged ${count}× ${message}`)
  return { ...result, detail: `${result.detail}; failed attempts: ${failed === "" ? "none" : failed}` }
}

const systems: Record<string, () => Promise<Result>> = { raw, graphile, signal: () => signal(0) }
const results: Array<Result> = []
for (const mode of modes) {
  await ask("reset")
  // `signal-cluster2`: a gateway and two dispatcher processes
  const cluster = mode.match(/^signal-cluster(\d+)$/)
  const result = await (cluster ? signal(Number(cluster[1])) : systems[mode]!())
  results.push(result)
  console.log(
    `${result.name}: ${result.delivered}/${events} delivered (${result.duplicates} duplicates), ` +
      `${result.perSecond.toFixed(0)} deliveries/s, latency publish→receipt p50 ${result.latency.p50} ms p99 ${result.latency.p99} ms, ` +
      `${result.connections} receiver connections` +
      (result.detail === "" ? "" : `; ${result.detail}`)
  )
}

// Ratios are of the fastest Signal set-up in the run.
const signalResult = results.filter((result) => result.name.startsWith("Signal")).sort((a, b) => b.perSecond - a.perSecond)[0]
console.log(`\n${events} events × ${destinations} destinations (maxConcurrency ${MAX_CONCURRENCY})`)
console.log("| system | deliveries/s | Signal ÷ it |")
console.log("|---|---|---|")
for (const result of results) {
  const ratio = signalResult && result !== signalResult ? `${(signalResult.perSecond / result.perSecond).toFixed(2)}×` : "—"
  console.log(`| ${result.name} | ${result.perSecond.toFixed(0)} | ${ratio} |`)
}

await receiver.stop()
await postgres.dispose()
process.exit(results.every((result) => result.delivered === events) ? 0 : 1)
