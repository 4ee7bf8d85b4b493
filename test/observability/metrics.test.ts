/**
 * `GET /metrics` in the Prometheus text format: scrape, publish and deliver, scrape again; counters
 * moved by what happened, the attempt histogram has cumulative buckets, the database-wide gauges show
 * the queue, and every series keeps to its few labels.
 */
import type { ServerResponse } from "node:http"
import { describe, expect, it } from "vitest"
import { deliveryHelpers } from "../delivery/shared"
import { eventually, seedTenant } from "../support/http"
import { SIGNAL_METRIC_TYPES } from "../support/metrics"
import { useReceivers } from "../support/receiver"
import { useTestServer } from "../support/server"

interface Sample {
  readonly name: string
  readonly labels: Record<string, string>
  readonly value: number
}

interface Scrape {
  readonly samples: ReadonlyArray<Sample>
  readonly types: ReadonlyMap<string, string>
  readonly value: (name: string, labels?: Record<string, string>) => number | undefined
  readonly series: (name: string) => ReadonlyArray<Sample>
}

const parseLabels = (text: string | undefined): Record<string, string> => {
  const labels: Record<string, string> = {}
  if (!text) return labels
  for (const match of text.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
    labels[match[1]] = match[2].replace(/\\n/g, "\n").replace(/\\"/g, "\"").replace(/\\\\/g, "\\")
  }
  return labels
}

const running = useTestServer()
const startReceiver = useReceivers()

const scrape = async (): Promise<Scrape> => {
  const response = await fetch(`${running.server.url}/metrics`)
  expect(response.status).toBe(200)
  expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/)
  const text = await response.text()
  const samples: Array<Sample> = []
  const types = new Map<string, string>()
  for (const line of text.split("\n")) {
    if (line === "") continue
    const type = line.match(/^# TYPE (\S+) (\S+)$/)
    if (type) {
      types.set(type[1], type[2])
      continue
    }
    if (line.startsWith("#")) continue
    const sample = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/)
    expect(sample, `malformed line: ${line}`).not.toBeNull()
    const raw = sample![3]
    samples.push({
      name: sample![1],
      labels: parseLabels(sample![2]),
      value: raw === "+Inf" ? Infinity : raw === "-Inf" ? -Infinity : Number(raw)
    })
  }
  const matches = (sample: Sample, labels: Record<string, string>) =>
    Object.keys(labels).length === Object.keys(sample.labels).length &&
    Object.entries(labels).every(([key, value]) => sample.labels[key] === value)
  return {
    samples,
    types,
    series: (name) => samples.filter((sample) => sample.name === name),
    value: (name, labels = {}) => samples.find((sample) => sample.name === name && matches(sample, labels))?.value
  }
}

const receiver = (respond: (index: number, response: ServerResponse) => void) =>
  startReceiver((_request, index, response) => respond(index, response))

const answer = (status: number) => (_index: number, response: ServerResponse) => {
  response.writeHead(status)
  response.end()
}

describe("GET /metrics", () => {
  it("exports every Signal metric with its type and bounded labels, before any delivery", async () => {
    // a request is counted once answered: the first one shows up from the next scrape on
    expect((await fetch(`${running.server.url}/health`)).status).toBe(200)
    const metrics = await scrape()
    expect(metrics.value("http_server_requests_total", { method: "GET", status: "200" })).toBeGreaterThanOrEqual(1)
    expect(Object.fromEntries(Object.keys(SIGNAL_METRIC_TYPES).map((name) => [name, metrics.types.get(name)])))
      .toEqual(SIGNAL_METRIC_TYPES)
    expect(metrics.series("signal_deliveries_total").map((s) => s.labels.outcome).sort()).toEqual([
      "failed",
      "retrying",
      "succeeded"
    ])
    expect(metrics.series("signal_circuit_state").map((s) => s.labels.state).sort()).toEqual(["closed", "half_open", "open"])
    const shards = metrics.series("signal_runner_shards")
    expect(shards).toHaveLength(1)
    expect(Object.keys(shards[0].labels)).toEqual(["runner"])
    // once the runner has taken its shards (right after start it may not have yet)
    await eventually(async () => {
      const [owned] = (await scrape()).series("signal_runner_shards")
      return owned.labels.runner === shards[0].labels.runner && owned.value > 0 ? true : undefined
    }, { what: "shards owned by the runner" })
  })

  it("counts ingests, deliveries by outcome, attempt latencies, queue depth and HTTP requests", async () => {
    const { createDestination, publishMany, drained, intentOf } = deliveryHelpers(running.client)
    const { tenantId, senderId } = await seedTenant(running.client)

    const held: Array<ServerResponse> = []
    let holding = true
    const slow = await receiver((_index, response) => {
      if (holding) held.push(response)
      else answer(200)(0, response)
    })
    const ok = await createDestination(tenantId, (await receiver(answer(200))).url, { name: "ok" })
    const flaky = await createDestination(tenantId, (await receiver(answer(500))).url, {
      name: "flaky",
      retry: { type: "linear", delaySeconds: 1, maxAttempts: 2 }
    })
    const stuck = await createDestination(tenantId, (await receiver(answer(500))).url, {
      name: "stuck",
      retry: { type: "linear", delaySeconds: 600, maxAttempts: 3 }
    })
    const gated = await createDestination(tenantId, slow.url, { name: "gated", maxConcurrency: 1 })

    /** How many attempts each of a destination's intents has had. */
    const attemptCounts = async (destinationId: string): Promise<Array<number>> => {
      const page = await running.client.get(`/v1/tenants/${tenantId}/intents?destinationIds=${destinationId}`)
      return (page.body.items as Array<{ readonly attemptCount: number }>).map((intent) => intent.attemptCount)
    }

    const before = await scrape()
    const events = await publishMany(tenantId, senderId, 2)

    // the gated destination holds its first request: both of its intents are pending meanwhile,
    // and only they, once the failing destinations' first attempts are recorded (retrying or failed)
    await eventually(async () => (held.length === 1 ? true : undefined), { what: "a held request" })
    await drained(tenantId, ok.id)
    await eventually(async () => {
      const counts = (await Promise.all([flaky.id, stuck.id].map(attemptCounts))).flat()
      return counts.length === 4 && counts.every((count) => count >= 1) ? true : undefined
    }, { what: "first attempts of the failing destinations" })
    const during = await scrape()
    expect(during.value("signal_intents_pending")).toBe(2)
    holding = false
    for (const response of held.splice(0)) answer(200)(0, response)

    await drained(tenantId, gated.id)
    await drained(tenantId, flaky.id)
    await eventually(async () => {
      const counts = await attemptCounts(stuck.id)
      return counts.length === 2 && counts.every((count) => count === 1) ? true : undefined
    }, { what: "first attempts of the stuck destination" })
    expect((await intentOf(tenantId, events[0].id))).toBeDefined()
    const after = await scrape()

    const delta = (name: string, labels: Record<string, string> = {}) =>
      (after.value(name, labels) ?? 0) - (before.value(name, labels) ?? 0)
    expect(delta("signal_events_ingested_total")).toBe(2)
    // ok 2 + gated 2 succeeded; flaky 2 retrying then 2 failed; stuck 2 retrying
    expect(delta("signal_deliveries_total", { outcome: "succeeded" })).toBe(4)
    expect(delta("signal_deliveries_total", { outcome: "retrying" })).toBe(4)
    expect(delta("signal_deliveries_total", { outcome: "failed" })).toBe(2)
    expect(delta("signal_attempt_duration_seconds_count")).toBe(10)
    expect(delta("signal_attempt_duration_seconds_sum")).toBeGreaterThan(0)

    // cumulative buckets ending in +Inf, which holds every observation
    const buckets = after.series("signal_attempt_duration_seconds_bucket")
    expect(buckets.length).toBeGreaterThan(5)
    expect(buckets.every((bucket) => Object.keys(bucket.labels).join() === "le")).toBe(true)
    const bounds = buckets.map((bucket) => Number(bucket.labels.le === "+Inf" ? Infinity : bucket.labels.le))
    expect(bounds).toEqual([...bounds].sort((a, b) => a - b))
    expect(bounds.at(-1)).toBe(Infinity)
    const counts = buckets.map((bucket) => bucket.value)
    expect(counts).toEqual([...counts].sort((a, b) => a - b))
    expect(counts.at(-1)).toBe(after.value("signal_attempt_duration_seconds_count"))
    // the held request took a while: it is beyond the smallest bucket
    expect(counts[0]).toBeLessThan(counts.at(-1)!)

    // database-wide queue gauges and circuit states
    expect(after.value("signal_intents_pending")).toBe(0)
    expect(after.value("signal_intents_retrying")).toBe(2)
    expect(after.value("signal_circuit_state", { state: "closed" })).toBe(4)
    expect(after.value("signal_circuit_state", { state: "open" })).toBe(0)

    // HTTP server requests by method and status code only
    expect(delta("http_server_requests_total", { method: "POST", status: "201" })).toBeGreaterThanOrEqual(1)
    expect(delta("http_server_requests_total", { method: "GET", status: "200" })).toBeGreaterThanOrEqual(2)
    await running.client.get(`/v1/tenants/${tenantId}/destinations/dst_0000000000000000000000000`)
    const last = await scrape()
    expect(last.value("http_server_requests_total", { method: "GET", status: "404" })).toBeGreaterThanOrEqual(1)
    for (const sample of last.series("http_server_requests_total")) {
      expect(Object.keys(sample.labels).sort()).toEqual(["method", "status"])
      expect(sample.labels.status).toMatch(/^[1-5]\d\d$/)
      expect(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "OTHER"]).toContain(sample.labels.method)
    }
    // no label carries an id: cardinality does not grow with tenants, destinations or events
    for (const sample of last.samples.filter((s) => s.name.startsWith("signal_") || s.name.startsWith("http_"))) {
      for (const value of Object.values(sample.labels)) expect(value).not.toMatch(/^(ten|dst|evt|int|att|snd)_/)
    }
  }, 30_000)

  it("reports what its process costs: CPU time, memory and how late its event loop ran", async () => {
    // The server runs in this process: a thread kept busy for 400 ms is CPU it used and a loop held
    // up by at least 350 ms for the probe (due every 50 ms), which records it when it next fires: then the scrape.
    const busy = () =>
      new Promise<void>((resolve) =>
        setTimeout(() => {
          const until = performance.now() + 400
          while (performance.now() < until) {
            // busy on purpose
          }
          setTimeout(resolve, 80)
        }, 20)
      )
    const cpu = (scrape: Scrape) => scrape.value("process_cpu_seconds_total")!
    const own = () => {
      const { system, user } = process.cpuUsage()
      return (user + system) / 1e6
    }
    const before = await scrape()
    const ownBefore = own()
    await busy()
    let after = await scrape()
    const ownAfter = own()
    // what the process used meanwhile, as it counts itself (the burn got at most 400 ms of the CPU; on
    // a machine busy with other work less), within /proc's 10 ms ticks; never more than its total
    expect(ownAfter - ownBefore).toBeGreaterThan(0.2)
    expect(cpu(after) - cpu(before)).toBeGreaterThanOrEqual(ownAfter - ownBefore - 0.05)
    expect(cpu(after)).toBeLessThanOrEqual(ownAfter)
    // The lag since the previous sample. The periodic one (every 15 s) falls due during the busy time
    // once in ~50 runs and then takes the lag before this scrape: held up once more, it cannot twice.
    for (let tries = 1; (after.value("nodejs_eventloop_lag_max_seconds") ?? 0) < 0.3 && tries < 3; tries++) {
      await busy()
      after = await scrape()
    }
    expect(after.value("nodejs_eventloop_lag_max_seconds")).toBeGreaterThanOrEqual(0.3)
    expect(after.value("nodejs_eventloop_lag_p50_seconds")).toBeLessThanOrEqual(after.value("nodejs_eventloop_lag_p99_seconds")!)
    expect(after.value("nodejs_eventloop_lag_p99_seconds")).toBeLessThanOrEqual(after.value("nodejs_eventloop_lag_max_seconds")!)
    // an idle moment later, the window has moved on: no such lag in it
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect((await scrape()).value("nodejs_eventloop_lag_max_seconds")).toBeLessThan(0.3)
    const rss = after.value("process_resident_memory_bytes")!
    expect(rss).toBeGreaterThan(0.5 * process.memoryUsage().rss)
    expect(rss).toBeLessThan(2 * process.memoryUsage().rss)
    expect(after.value("nodejs_heap_size_used_bytes")).toBeGreaterThan(1e6)
    expect(after.value("nodejs_heap_size_used_bytes")).toBeLessThan(rss)
  })
})
