/**
 * Delivery throughput and latency: one Signal (gateway + dispatcher) on embedded Postgres, a loopback
 * receiver in its own process, N destinations and M events published in batches of 1,000. Prints deliveries/s, the
 * publish-to-receipt latency percentiles and the process RSS. Bounded: stops when every event is
 * delivered or after the time limit.
 *
 *   npm run bench -- [events=20000] [destinations=200] [timeLimitSeconds=300]
 */
import { fork } from "node:child_process"
import { fileURLToPath } from "node:url"
import { startScratchPostgres } from "../test/support/postgres"
import type { ReceiverStats } from "./receiver"

const [events = 20_000, destinations = 200, timeLimitSeconds = 300] = process.argv.slice(2).map(Number)

const postgres = await startScratchPostgres({ durable: process.env.BENCH_FAST_PG !== "1" })
await postgres.server.createDatabase("bench")
process.env.SIGNAL_TEST_DATABASE_URL = postgres.url("postgres")

const receiver = fork(fileURLToPath(new URL("./receiver.ts", import.meta.url)), { execArgv: ["--import", "tsx/esm"] })
const ask = (question: "progress" | "final") =>
  new Promise<ReceiverStats>((resolve) => {
    receiver.once("message", (stats) => resolve(stats as ReceiverStats))
    receiver.send(question)
  })
const receiverPort = await new Promise<number>((resolve) =>
  receiver.once("message", (message) => resolve((message as { port: number }).port))
)
const receiverUrl = `http://127.0.0.1:${receiverPort}/hook`

const { startTestServer } = await import("@signal/server/TestServer")
const server = await startTestServer({ databaseUrl: postgres.url("bench") })
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
    maxConcurrency: 5,
    variant: { type: "http_endpoint", url: receiverUrl }
  })
}

const started = Date.now()
for (let start = 0; start < events; start += 1000) {
  const batch = Array.from({ length: Math.min(1000, events - start) }, (_, k) => ({
    senderId: sender.id,
    eventType: `type.${(start + k) % destinations}`,
    payload: { n: start + k, sentAt: Date.now() }
  }))
  await call("POST", `/v1/tenants/${tenant.id}/events/batch`, { events: batch })
}
const published = Date.now()
const deadline = started + timeLimitSeconds * 1000
// the run ends when every event arrived at least once, duplicates aside
while ((await ask("progress")).delivered < events && Date.now() < deadline) {
  await new Promise((resolve) => setTimeout(resolve, 50))
}
const finished = Date.now()

const stats = await ask("final")
const latencies = [...stats.latencies].sort((a, b) => a - b)
const percentile = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]
const seconds = (finished - started) / 1000
console.log(
  `events ${events}, destinations ${destinations}, delivered ${stats.delivered} (${stats.requests - stats.delivered} duplicates)`
)
console.log(`ingest: ${(events / ((published - started) / 1000)).toFixed(0)} events/s`)
console.log(`delivery: ${(stats.delivered / seconds).toFixed(0)} deliveries/s over ${seconds.toFixed(1)} s`)
console.log(`latency publish→receipt ms: p50 ${percentile(50)} p95 ${percentile(95)} p99 ${percentile(99)} max ${latencies.at(-1)}`)
console.log(`receiver connections: ${stats.connections}`)
// failed attempts are retried on the destination's schedule (30 s first): they make the latency tail,
// so the run shows how many there were and why
const failed = await call("GET", `/v1/tenants/${tenant.id}/attempts?status=failed&limit=200`, undefined)
const codes = new Map<string, number>()
for (const attempt of failed.items) codes.set(attempt.error?.code, (codes.get(attempt.error?.code) ?? 0) + 1)
console.log(`failed attempts: ${failed.items.length}${failed.nextCursor ? "+" : ""} ${JSON.stringify(Object.fromEntries(codes))}`)
console.log(`signal rss: ${(process.memoryUsage().rss / 1024 / 1024).toFixed(0)} MiB`)

await server.stop()
receiver.disconnect()
await postgres.dispose()
process.exit(stats.delivered === events ? 0 : 1)
