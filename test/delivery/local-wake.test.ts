import { freePort } from "@signal/server/TestServer"
import * as TestDatabase from "@signal/store/TestDatabase"
import { Effect } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { api, eventually, seedTenant } from "../support/http"
import { spawnSignal, type SignalProcess } from "../support/process"
import { startReceiver } from "../support/receiver"
import { useTestServer } from "../support/server"
import { deliveryHelpers } from "./shared"

/** The sweeper out of reach: only the wakes sent at publish (or on a change) can start a delivery. */
const NO_SWEEP = { SIGNAL_SWEEP_INTERVAL_MS: "600000" }

/** Destination entities alive in a process, from its `/metrics` (the cluster refreshes it every second). */
const destinationEntities = async (url: string) => {
  const text = await (await fetch(`${url}/metrics`)).text()
  const line = /^effect_cluster_entities\{type="Destination"\} (\d+)$/m.exec(text)
  expect(line, "the cluster's entity gauge is exported").not.toBeNull()
  return Number(line![1])
}

const running = useTestServer({ env: NO_SWEEP })
const receiver = startReceiver()
afterAll(async () => (await receiver).close())

describe("wakes in one process (npm start)", () => {
  it("reach the drains directly: every delivery starts at once and no destination entity is ever made", async () => {
    const { url, requests } = await receiver
    const { createDestination, publish, publishMany } = deliveryHelpers(running.client)
    const { tenantId, senderId } = await seedTenant(running.client)
    const destinations = await Promise.all([0, 1, 2].map((i) => createDestination(tenantId, `${url}?d=${i}`)))
    const waits: Array<number> = []
    for (let i = 0; i < 3; i++) {
      const publishedAt = Date.now()
      await publish(tenantId, senderId)
      await eventually(async () => (requests.length >= 3 * (i + 1) ? true : undefined), { intervalMs: 10, timeoutMs: 30_000 })
      waits.push(Date.now() - publishedAt)
    }
    await publishMany(tenantId, senderId, 20)
    await eventually(async () => (requests.length >= 69 ? true : undefined), { intervalMs: 10, timeoutMs: 30_000 })
    // A change is handed over likewise: the re-pointed destination's next event goes to the new URL.
    const changed = await running.client.patch(`/v1/tenants/${tenantId}/destinations/${destinations[0].id}`, {
      variant: { type: "http_endpoint", url: `${url}?d=moved`, method: "POST" }
    })
    expect(changed.status).toBe(200)
    await publish(tenantId, senderId)
    await eventually(async () => (requests.length >= 72 ? true : undefined), { intervalMs: 10, timeoutMs: 30_000 })
    expect(requests.filter((request) => request.path.endsWith("?d=moved"))).toHaveLength(1)
    expect(requests).toHaveLength(72)
    // far below the sweeper's period: each delivery was started by its wake
    expect(Math.max(...waits)).toBeLessThan(5_000)
    // Entities idle out only after 10 s, so one made by any wake or change above would still count here.
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    expect(await destinationEntities(running.server.url)).toBe(0)
  }, 60_000)
})

describe("wakes from a gateway process", () => {
  const processes: Array<SignalProcess> = []
  afterAll(() => {
    for (const process of processes) process.kill("SIGKILL")
  })

  it("reach a destination whose shard another process owns, through its entity", async () => {
    const { url, requests } = await startReceiver()
    const databaseUrl = await Effect.runPromise(TestDatabase.createDatabase())
    const common = { ...NO_SWEEP, DATABASE_URL: databaseUrl, SIGNAL_ALLOW_PRIVATE_NETWORKS: "127.0.0.0/8" }
    const gateway = await spawnSignal({ ...common, SIGNAL_ROLE: "gateway", PORT: String(await freePort()) })
    processes.push(gateway)
    const dispatcher = await spawnSignal({
      ...common,
      SIGNAL_ROLE: "dispatcher",
      PORT: String(await freePort()),
      SIGNAL_RUNNER_PORT: String(await freePort())
    })
    processes.push(dispatcher)
    const client = api(gateway.url)
    const { createDestination, publish } = deliveryHelpers(client)
    const { tenantId, senderId } = await seedTenant(client)
    await createDestination(tenantId, url)
    // until the dispatcher has taken its shards, a wake waits for their owner
    const publishedAt = Date.now()
    await publish(tenantId, senderId)
    await eventually(async () => (requests.length >= 1 ? true : undefined), { intervalMs: 10, timeoutMs: 30_000 })
    const firstWait = Date.now() - publishedAt
    const again = Date.now()
    await publish(tenantId, senderId)
    await eventually(async () => (requests.length >= 2 ? true : undefined), { intervalMs: 10, timeoutMs: 30_000 })
    expect(Date.now() - again).toBeLessThan(5_000)
    expect(firstWait).toBeLessThan(30_000)
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    expect(await destinationEntities(dispatcher.url)).toBeGreaterThanOrEqual(1)
  }, 120_000)
})
