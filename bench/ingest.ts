/**
 * Ingest speed: Signal's `POST …/events` against a bare `node:http` + `pg` server on the same Postgres,
 * in the same run. Everything under test runs as its own process (never in this one): the bare server,
 * a Signal gateway (`SIGNAL_ROLE=gateway`) with a dispatcher beside it, a loopback receiver, and later
 * one `SIGNAL_ROLE=all` process (what `npm start` runs). 100 destinations, ~800-byte payloads.
 *
 * 1. single publishes: serial latency (p50/p95) and throughput with 64 concurrent clients, bare vs gateway
 *    (each event delivered meanwhile by the dispatcher to the receiver, on the same cores: for the
 *    serial ones also how long each took from publish to receipt), and again with the dispatcher
 *    stopped; the gateway's CPU per publish (µs, from /proc) and RSS, and, serially and at 64 clients,
 *    every process's (Postgres, dispatcher, receiver, the load loops);
 * 2. batches of 1,000 with nothing delivering, fan-out 1, 10 and 100;
 * 3. an `all` process, idle and then under a full delivery backlog (300,000 intents) it delivers
 *    itself: single and batch publish rates (of events no destination takes) and any 5xx.
 *
 *   npm run bench:ingest [-- seconds=6]
 *   BENCH_PROFILE=1 writes a CPU profile of the gateway (its whole run) and prints where the time went;
 *   BENCH_ONLY=singles stops after the single publishes (with BENCH_PROFILE, profiles of the serial and
 *   the concurrent ones);
 *   BENCH_SERIAL_GAP_MS=n pauses n ms after each serial publish (its delivery then no longer overlaps the next);
 *   BENCH_ONLY=backlog runs the `npm start` part alone;
 *   BENCH_ONLY=batches runs the batches of part 2 alone, three times as many (a gateway, no dispatcher;
 *   profiled with BENCH_PROFILE);
 *   BENCH_SINGLES_FANOUT=10,100 adds single-publish rows for the gateway whose events go to that many
 *   destinations each (fan10, fan100), delivered meanwhile: what the wakes of one publish cost;
 *   BENCH_API_KEY=1 makes Signal's publishes carry a tenant API key (`Authorization: Bearer`), so each
 *   one authenticates as a tenant would, instead of the anonymous admin of a gateway without an admin key
 *   (its per-key rate limit raised out of reach, still counted).
 */
import { mkdtempSync, readdirSync, readFileSync } from "node:fs"
import { Agent, request } from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { ticksToMicros, treeTicks } from "../test/support/cpu"
import { freePort, startScratchPostgres } from "../test/support/postgres"
import { cpuMicros, forkBench, rssMiB, startReceiver, startSignal } from "./processes"

const [seconds = 6] = process.argv.slice(2).map(Number)
const DESTINATIONS = 100
const CLIENTS = 64

// ---------------------------------------------------------------------------------------------
// load

const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS })

const post = (base: string, path: string, body: unknown, apiKey?: string) =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    const data = Buffer.from(JSON.stringify(body))
    const url = new URL(path, base)
    const req = request({
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      method: "POST",
      agent,
      headers: {
        "content-type": "application/json",
        "content-length": data.length,
        ...(apiKey === undefined ? {} : { authorization: `Bearer ${apiKey}` })
      }
    }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (chunk: Buffer) => chunks.push(chunk))
      res.on("end", () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString() }))
    })
    req.on("error", reject)
    req.end(data)
  })

const json = async (base: string, method: string, path: string, body: unknown) => {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body)
  })
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`)
  return response.json() as Promise<any>
}

const filler = "x".repeat(640)
let counter = 0
/** ~800 bytes on the wire; one matching destination unless another type is given. */
const event = (senderId: string, type = `type.${counter % DESTINATIONS}`) => ({
  senderId,
  eventType: type,
  topics: ["bench"],
  payload: { n: counter++, sentAt: Date.now(), order: { id: `ord_${counter}`, amount: 1000, currency: "EUR" }, note: filler }
})

interface Target {
  readonly name: string
  readonly url: string
  readonly eventsPath: string
  readonly senderId: string
  readonly pid: number
  /** A tenant API key to publish with. */
  readonly apiKey?: string
  /** Publish events of a type no destination takes. */
  readonly unrouted?: boolean
  /** Publish events of this type (`fan10`: ten destinations take it, `fan100`: all). */
  readonly type?: string
}

/** The event type a target publishes: its own, none taken, or each destination's in turn. */
const typeOf = (target: Target) => target.type ?? (target.unrouted ? "unrouted" : undefined)

const percentile = (sorted: ReadonlyArray<number>, p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]

/**
 * Fan-outs of extra single-publish rows for the gateway while the dispatcher delivers
 * (`BENCH_SINGLES_FANOUT=10,100`): each publish then wakes that many destinations.
 */
const singlesFanOut = (process.env.BENCH_SINGLES_FANOUT ?? "").split(",").filter((n) => n !== "").map(Number)

/** A pause after each serial publish (`BENCH_SERIAL_GAP_MS`): lets the delivery of one finish before the next. */
const serialGapMs = Number(process.env.BENCH_SERIAL_GAP_MS ?? 0)

const serial = async (target: Target, count: number) => {
  const latencies: Array<number> = []
  for (let i = 0; i < count; i++) {
    const started = performance.now()
    const response = await post(target.url, target.eventsPath, event(target.senderId, typeOf(target)), target.apiKey)
    if (response.status >= 300) throw new Error(`${target.name}: ${response.status} ${response.body}`)
    latencies.push(performance.now() - started)
    if (serialGapMs > 0) await new Promise((resolve) => setTimeout(resolve, serialGapMs))
  }
  latencies.sort((a, b) => a - b)
  return { p50: percentile(latencies, 50), p95: percentile(latencies, 95) }
}

/** `CLIENTS` loops publishing one event at a time for `seconds`. */
const concurrent = async (target: Target, forSeconds: number) => {
  const statuses = new Map<number, number>()
  const cpuBefore = cpuMicros(target.pid)
  const started = performance.now()
  const until = started + forSeconds * 1000
  let ok = 0
  await Promise.all(Array.from({ length: CLIENTS }, async () => {
    while (performance.now() < until) {
      const response = await post(target.url, target.eventsPath, event(target.senderId, typeOf(target)), target.apiKey)
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1)
      if (response.status < 300) ok++
    }
  }))
  const elapsed = (performance.now() - started) / 1000
  return {
    count: ok,
    perSecond: ok / elapsed,
    cpuMicrosPerPublish: (cpuMicros(target.pid) - cpuBefore) / Math.max(1, ok),
    statuses: Object.fromEntries(statuses)
  }
}

/**
 * Until V8 has optimised the hot paths: 4,000 concurrent publishes (at most 20 s). Signal's code path
 * is deep, and a few seconds at a few hundred publishes per second left it measurably unoptimised.
 */
const warmUp = async (target: Target) => {
  const until = performance.now() + 20_000
  let left = 4000
  await Promise.all(Array.from({ length: CLIENTS }, async () => {
    while (left-- > 0 && performance.now() < until) {
      await post(target.url, target.eventsPath, event(target.senderId, typeOf(target)), target.apiKey)
    }
  }))
}

/** Until the receiver has had nothing new for 400 ms (at most 30 s): the warm-up's deliveries are done. */
const deliveriesSettled = async () => {
  const until = performance.now() + 30_000
  let last = -1
  while (performance.now() < until) {
    const { requests } = await receiver.ask("progress")
    if (requests === last) return
    last = requests
    await new Promise((resolve) => setTimeout(resolve, 400))
  }
}

/** Publish → receipt (ms, the receiver's clock against the payload's `sentAt`) once `count` arrived (at most 10 s). */
const receipts = async (count: number) => {
  const until = performance.now() + 10_000
  while ((await receiver.ask("progress")).delivered < count && performance.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  const latencies = [...(await receiver.ask("final")).latencies].sort((a, b) => a - b)
  return { count: latencies.length, p50: percentile(latencies, 50) ?? NaN, p95: percentile(latencies, 95) ?? NaN }
}

/** `count` batches of 1,000 events of one type, one request at a time in each of `clients` loops. */
const batches = async (target: Target, count: number, type?: string, clients = 1) => {
  const statuses = new Map<number, number>()
  const cpu = cpuSince({ server: target.pid, Postgres: postmaster })
  const started = performance.now()
  let ok = 0
  let left = count
  await Promise.all(Array.from({ length: clients }, async () => {
    while (left-- > 0) {
      const events = Array.from({ length: 1000 }, () => event(target.senderId, type))
      const response = await post(target.url, `${target.eventsPath}/batch`, { events }, target.apiKey)
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1)
      if (response.status < 300) ok += 1000
    }
  }))
  const elapsed = (performance.now() - started) / 1000
  const perEvent = cpu(ok)
  return {
    perSecond: ok / elapsed,
    cpuMicrosPerEvent: perEvent.server!,
    postgresMicrosPerEvent: perEvent.Postgres!,
    statuses: Object.fromEntries(statuses)
  }
}

/** Tenant, sender and 100 destinations: destination i takes `type.i`, the first 10 `fan10`, all `fan100`. */
const seed = async (url: string, receiverUrl: string) => {
  const tenant = await json(url, "PUT", "/v1/tenants", { identifier: "bench", name: "Bench" })
  const sender = await json(url, "PUT", "/v1/senders", { identifier: "bench", name: "Bench" })
  for (let i = 0; i < DESTINATIONS; i++) {
    await json(url, "POST", `/v1/tenants/${tenant.id}/destinations`, {
      name: `d${i}`,
      eventTypes: [`type.${i}`, "fan100", ...(i < 10 ? ["fan10"] : [])],
      variant: { type: "http_endpoint", url: receiverUrl }
    })
  }
  const apiKey = process.env.BENCH_API_KEY === "1"
    ? (await json(url, "POST", `/v1/tenants/${tenant.id}/api-keys`, { name: "bench" })).key as string
    : undefined
  return { eventsPath: `/v1/tenants/${tenant.id}/events`, senderId: sender.id as string, apiKey }
}

const fmt = (n: number, digits = 0) => n.toFixed(digits).replace(/\B(?=(\d{3})+(?!\d))/g, ",")

/** Microseconds on the monotonic clock V8's profiler stamps its samples with. */
const monotonicMicros = () => Number(process.hrtime.bigint() / 1000n)

/** Self time of a `.cpuprofile` by where the code lives, as shares of the busy (non-idle) time. */
const summarizeProfile = (dir: string, window?: { readonly from: number; readonly to: number }) => {
  const file = readdirSync(dir).find((name) => name.endsWith(".cpuprofile"))
  if (file === undefined) return "no profile written"
  const profile = JSON.parse(readFileSync(join(dir, file), "utf8")) as {
    nodes: Array<{ id: number; callFrame: { url: string; functionName: string } }>
    samples: Array<number>
    timeDeltas: Array<number>
    startTime: number
  }
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const buckets = new Map<string, number>()
  const functions = new Map<string, number>()
  let at = profile.startTime
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0
    if (window !== undefined && (at < window.from || at > window.to)) return
    const { url, functionName } = byId.get(id)!.callFrame
    const bucket = url === ""
      ? functionName
      : url.includes("/node_modules/")
      ? url.replace(/.*\/node_modules\/((@[^/]+\/)?[^/]+).*/, "$1")
      : url.startsWith("node:")
      ? "node internals"
      : url.includes("/packages/")
      ? "signal"
      : url
    const delta = profile.timeDeltas[i] ?? 0
    buckets.set(bucket, (buckets.get(bucket) ?? 0) + delta)
    const fn = `${functionName || "(anonymous)"} ${url.replace(/.*\/node_modules\//, "").replace(/.*\/packages\//, "")}`
    functions.set(fn, (functions.get(fn) ?? 0) + delta)
  })
  const idle = buckets.get("(idle)") ?? 0
  const busy = [...buckets.values()].reduce((a, b) => a + b, 0) - idle
  const share = (entries: Map<string, number>, n: number) =>
    [...entries].filter(([name]) => !name.startsWith("(idle)")).sort((a, b) => b[1] - a[1]).slice(0, n)
      .map(([name, us]) => `  ${((100 * us) / busy).toFixed(1).padStart(5)} %  ${name}`).join("\n")
  return `busy ${fmt(busy / 1000)} ms; self time by origin:\n${share(buckets, 12)}\nhottest functions:\n${share(functions, 15)}`
}

// ---------------------------------------------------------------------------------------------
// run

const postgres = await startScratchPostgres({ durable: process.env.BENCH_FAST_PG !== "1" })
for (const name of ["bare", "signal", "everything"]) await postgres.server.createDatabase(name)
const postmaster = Number(readFileSync(join(postgres.dataDir, "postmaster.pid"), "utf8").split("\n")[0])
const receiver = await startReceiver()
const receiverUrl = `${receiver.url}/hook`

/**
 * From now, µs of CPU per publish (or event) of each process a phase involves (Postgres with its
 * backends) and of this process's load loops: where the machine's two cores went.
 */
const cpuSince = (pids: Record<string, number>) => {
  const ticksOf = () => Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, treeTicks(pid)]))
  const before = ticksOf()
  const loadBefore = process.cpuUsage()
  return (count: number): Record<string, number> => {
    const after = ticksOf()
    const load = process.cpuUsage(loadBefore)
    const per = (micros: number) => micros / Math.max(1, count)
    return {
      ...Object.fromEntries(Object.keys(pids).map((name) => [name, per(ticksToMicros(after[name]! - before[name]!))])),
      "load loops": per(load.user + load.system)
    }
  }
}

const listCpu = (shares: Record<string, number>) =>
  `${Object.entries(shares).map(([name, micros]) => `${name} ${fmt(micros)}`).join(", ")} µs`

const signalEnv = {
  SIGNAL_ALLOW_PRIVATE_NETWORKS: "127.0.0.0/8,::1/128",
  // a key's rate limit (100/s by default) is still counted, but never reached by the bench
  ...(process.env.BENCH_API_KEY === "1" ? { SIGNAL_API_RATE_LIMIT_PER_SECOND: "1000000" } : {})
}
const lines: Array<string> = []
const say = (line: string) => {
  lines.push(line)
  console.log(line)
}

const profileDir = process.env.BENCH_PROFILE === "1" ? mkdtempSync(join(tmpdir(), "signal-prof-")) : undefined
if (process.env.BENCH_ONLY === "batches") await batchesAlone()
if (process.env.BENCH_ONLY !== "backlog") await singlesAndBatches()

async function singlesAndBatches() {
  // 1. single publishes, bare server first
  const bare = await forkBench("./bare.ts", { DATABASE_URL: postgres.url("bare") })
  const bareTarget: Target = {
    name: "bare",
    url: bare.url,
    eventsPath: "/v1/tenants/ten_bare/events",
    senderId: "snd_bare",
    pid: bare.child.pid!
  }
  // each server warms up first (the JIT), as Signal below
  await warmUp(bareTarget)
  const bareSerialCpuSince = cpuSince({ server: bare.child.pid!, Postgres: postmaster })
  const bareSerial = await serial(bareTarget, 300)
  const bareSerialCpu = bareSerialCpuSince(300)
  const bareCpuSince = cpuSince({ server: bare.child.pid!, Postgres: postmaster })
  const bareConcurrent = await concurrent(bareTarget, seconds)
  const bareCpu = bareCpuSince(bareConcurrent.count)
  const bareRss = rssMiB(bare.child.pid!)
  await bare.stop()

  const gateway = await startSignal({ ...signalEnv, DATABASE_URL: postgres.url("signal"), SIGNAL_ROLE: "gateway" }, profileDir)
  const dispatcher = await startSignal({
    ...signalEnv,
    DATABASE_URL: postgres.url("signal"),
    SIGNAL_ROLE: "dispatcher",
    SIGNAL_RUNNER_PORT: String(await freePort())
  })
  const seeded = await seed(gateway.url, receiverUrl)
  const gatewayTarget: Target = { name: "gateway", url: gateway.url, ...seeded, pid: gateway.child.pid! }
  await warmUp(gatewayTarget)
  await deliveriesSettled()
  await receiver.ask("reset")
  /** Every process a publish through the gateway involves, its delivery included. */
  const signalProcesses = {
    gateway: gateway.child.pid!,
    dispatcher: dispatcher.child.pid!,
    Postgres: postmaster,
    receiver: receiver.child.pid!
  }
  const serialFrom = monotonicMicros()
  const gatewaySerialCpuSince = cpuSince(signalProcesses)
  const gatewaySerial = await serial(gatewayTarget, 300)
  const gatewaySerialCpu = gatewaySerialCpuSince(300)
  const serialWindow = { from: serialFrom, to: monotonicMicros() }
  const serialReceipts = await receipts(300)
  const concurrentFrom = monotonicMicros()
  const gatewayCpuSince = cpuSince(signalProcesses)
  const gatewayConcurrent = await concurrent(gatewayTarget, seconds)
  const gatewayCpu = gatewayCpuSince(gatewayConcurrent.count)
  const concurrentWindow = { from: concurrentFrom, to: monotonicMicros() }
  const gatewayRss = rssMiB(gateway.child.pid!)

  say(`ingest bench ${new Date().toISOString()}: ${DESTINATIONS} destinations, ~800-byte payloads, ${CLIENTS} clients, ${seconds} s per rate`)
  say(``)
  say(`| single publish | serial p50 / p95 | publishes/s, ${CLIENTS} concurrent | CPU per publish | RSS |`)
  say(`|---|---|---|---|---|`)
  say(`| bare node:http + pg (1 txn) | ${bareSerial.p50.toFixed(1)} / ${bareSerial.p95.toFixed(1)} ms | ${fmt(bareConcurrent.perSecond)} | ${fmt(bareConcurrent.cpuMicrosPerPublish)} µs | ${fmt(bareRss)} MiB |`)
  say(`| Signal gateway | ${gatewaySerial.p50.toFixed(1)} / ${gatewaySerial.p95.toFixed(1)} ms | ${fmt(gatewayConcurrent.perSecond)} (${(gatewayConcurrent.perSecond / bareConcurrent.perSecond).toFixed(2)}×) | ${fmt(gatewayConcurrent.cpuMicrosPerPublish)} µs | ${fmt(gatewayRss)} MiB |`)
  say(`statuses: bare ${JSON.stringify(bareConcurrent.statuses)}, gateway ${JSON.stringify(gatewayConcurrent.statuses)}`)
  say(`serial publish → receipt through the gateway and the dispatcher: p50 ${serialReceipts.p50} ms, p95 ${serialReceipts.p95} ms (${serialReceipts.count} received)`)
  say(`CPU per publish at ${CLIENTS} clients, every process: bare — ${listCpu(bareCpu)}; Signal (each delivered) — ${listCpu(gatewayCpu)}`)
  say(`CPU per serial publish (one at a time), every process: bare — ${listCpu(bareSerialCpu)}; Signal (each delivered) — ${listCpu(gatewaySerialCpu)}`)
  const fannedWindows: Array<{ readonly fanOut: number; readonly from: number; readonly to: number }> = []
  for (const fanOut of singlesFanOut) {
    const fanned: Target = { ...gatewayTarget, type: `fan${fanOut}` }
    const from = monotonicMicros()
    const fannedSerial = await serial(fanned, 100)
    fannedWindows.push({ fanOut, from, to: monotonicMicros() })
    const fannedConcurrent = await concurrent(fanned, seconds)
    say(`| Signal gateway, fan-out ${fanOut} (each delivered) | ${fannedSerial.p50.toFixed(1)} / ${fannedSerial.p95.toFixed(1)} ms | ${fmt(fannedConcurrent.perSecond)} | ${fmt(fannedConcurrent.cpuMicrosPerPublish)} µs | ${fmt(rssMiB(gateway.child.pid!))} MiB |`)
  }
  if (process.env.BENCH_ONLY === "singles") {
    await Promise.all([gateway.stop(), dispatcher.stop()])
    if (profileDir) {
      console.log(`\ngateway CPU profile, 300 serial single publishes (${profileDir}):`)
      console.log(summarizeProfile(profileDir, serialWindow))
      console.log(`\ngateway CPU profile, ${CLIENTS} concurrent single publishes (${profileDir}):`)
      console.log(summarizeProfile(profileDir, concurrentWindow))
      for (const window of fannedWindows) {
        console.log(`\ngateway CPU profile, 100 serial single publishes at fan-out ${window.fanOut} (${profileDir}):`)
        console.log(summarizeProfile(profileDir, window))
      }
    }
    receiver.child.disconnect()
    await postgres.dispose()
    process.exit(0)
  }

  // 2. nothing delivering: the same single publishes, then batches
  await dispatcher.stop()
  const aloneSerial = await serial(gatewayTarget, 300)
  const aloneConcurrent = await concurrent(gatewayTarget, seconds)
  say(`| Signal gateway, dispatcher stopped (nothing delivering) | ${aloneSerial.p50.toFixed(1)} / ${aloneSerial.p95.toFixed(1)} ms | ${fmt(aloneConcurrent.perSecond)} (${(aloneConcurrent.perSecond / bareConcurrent.perSecond).toFixed(2)}×) | ${fmt(aloneConcurrent.cpuMicrosPerPublish)} µs | ${fmt(rssMiB(gateway.child.pid!))} MiB |`)
  await batchTable(gatewayTarget)
  await gateway.stop()
}

/** Batches of 1,000 at fan-out 1, 10 and 100, with nothing delivering. */
async function batchTable(target: Target, rounds = 1) {
  say(``)
  say(`| batches of 1,000, nothing delivering | events/s | intents/s | gateway CPU per event | Postgres CPU per event | statuses |`)
  say(`|---|---|---|---|---|---|`)
  for (const [fanOut, count, type] of [[1, 10, undefined], [10, 5, "fan10"], [100, 3, "fan100"]] as const) {
    await batches(target, 1, type)
    const result = await batches(target, count * rounds, type)
    say(`| fan-out ${fanOut} | ${fmt(result.perSecond)} | ${fmt(result.perSecond * fanOut)} | ${fmt(result.cpuMicrosPerEvent)} µs | ${fmt(result.postgresMicrosPerEvent)} µs | ${JSON.stringify(result.statuses)} |`)
  }
  // One request's events go to Postgres in one transaction, written by one backend (one core); several
  // producers' batches are written side by side, and one's decoding overlaps another's insert.
  for (const [clients, howMany] of [[2, "two"], [4, "four"]] as const) {
    const side = await batches(target, 10 * rounds, undefined, clients)
    say(`| fan-out 1, ${howMany} requests at a time | ${fmt(side.perSecond)} | ${fmt(side.perSecond)} | ${fmt(side.cpuMicrosPerEvent)} µs | ${fmt(side.postgresMicrosPerEvent)} µs | ${JSON.stringify(side.statuses)} |`)
  }
  say(`gateway RSS after batches: ${fmt(rssMiB(target.pid))} MiB`)
}

/** A gateway alone (no dispatcher): its batches, warmed up with ten batches first. */
async function batchesAlone() {
  const gateway = await startSignal({ ...signalEnv, DATABASE_URL: postgres.url("signal"), SIGNAL_ROLE: "gateway" }, profileDir)
  const target: Target = { name: "gateway", url: gateway.url, ...await seed(gateway.url, receiverUrl), pid: gateway.child.pid! }
  await batches(target, 10)
  say(`ingest bench ${new Date().toISOString()}: batches alone`)
  await batchTable(target, 3)
  await gateway.stop()
  if (profileDir) console.log(`\ngateway CPU profile (${profileDir}):\n${summarizeProfile(profileDir)}`)
  receiver.child.disconnect()
  await postgres.dispose()
  process.exit(0)
}

// 3. one `all` process, idle and then delivering a backlog of its own. Measured with events no
// destination takes (fan-out 0), so that "idle" means nothing to deliver and the second figure shows
// only what the busy dispatcher beside it costs ingest.
const all = await startSignal({ ...signalEnv, DATABASE_URL: postgres.url("everything"), SIGNAL_ROLE: "all" })
const allTarget: Target = { name: "all", url: all.url, ...await seed(all.url, receiverUrl), pid: all.child.pid! }
const unrouted = (target: Target): Target => ({ ...target, unrouted: true })
await warmUp(unrouted(allTarget))
const idleSingles = await concurrent(unrouted(allTarget), seconds)
const idleBatches = await batches(allTarget, 5, "unrouted")
// fan-out 1, each event delivered by the same process: its wake goes to the drains beside the API
const deliveringSerial = await serial(allTarget, 300)
const deliveringSingles = await concurrent(allTarget, seconds)
await new Promise((resolve) => setTimeout(resolve, 2000))
for (let b = 0; b < 3; b++) await batches(allTarget, 1, "fan100")
await new Promise((resolve) => setTimeout(resolve, 2000))
const requestsBefore = (await progress()).requests
const busyStarted = performance.now()
const busySingles = await concurrent(unrouted(allTarget), seconds)
const busyBatches = await batches(allTarget, 5, "unrouted")
const deliveredDuring = (await progress()).requests - requestsBefore
const busySeconds = (performance.now() - busyStarted) / 1000
const backlog = 300_000 - (await progress()).requests + requestsBefore
say(``)
say(`| \`npm start\` (one process), fan-out 0 publishes | single publishes/s, ${CLIENTS} concurrent | batch events/s | statuses |`)
say(`|---|---|---|---|`)
say(`| idle | ${fmt(idleSingles.perSecond)} | ${fmt(idleBatches.perSecond)} | ${JSON.stringify(idleSingles.statuses)} ${JSON.stringify(idleBatches.statuses)} |`)
say(`| delivering a backlog of 300,000 intents (${fmt(deliveredDuring / busySeconds)} deliveries/s meanwhile, ~${fmt(Math.max(0, backlog))} left) | ${fmt(busySingles.perSecond)} (${(busySingles.perSecond / idleSingles.perSecond).toFixed(2)}×) | ${fmt(busyBatches.perSecond)} (${(busyBatches.perSecond / idleBatches.perSecond).toFixed(2)}×) | ${JSON.stringify(busySingles.statuses)} ${JSON.stringify(busyBatches.statuses)} |`)
say(``)
say(`| \`npm start\`, fan-out 1 publishes, each delivered by the same process | serial p50 / p95 | publishes/s, ${CLIENTS} concurrent | process CPU per publish (its delivery included) | statuses |`)
say(`|---|---|---|---|---|`)
say(`| before the backlog | ${deliveringSerial.p50.toFixed(1)} / ${deliveringSerial.p95.toFixed(1)} ms | ${fmt(deliveringSingles.perSecond)} | ${fmt(deliveringSingles.cpuMicrosPerPublish)} µs | ${JSON.stringify(deliveringSingles.statuses)} |`)
say(`all-process RSS: ${fmt(rssMiB(all.child.pid!))} MiB`)
await all.stop()

if (profileDir) console.log(`\ngateway CPU profile (${profileDir}):\n${summarizeProfile(profileDir)}`)

receiver.child.disconnect()
await postgres.dispose()
process.exit(0)

function progress() {
  return new Promise<{ requests: number }>((resolve) => {
    receiver.child.once("message", (stats) => resolve(stats as { requests: number }))
    receiver.child.send("progress")
  })
}
