import { afterAll, describe, expect, it } from "vitest"
import { eventually, seedTenant } from "../support/http"
import { startReceiver } from "../support/receiver"
import { useTestServer } from "../support/server"
import { deliveryHelpers, entitiesOf, NO_SWEEP } from "./shared"

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
    expect(await entitiesOf(running.server.url, "Destination")).toBe(0)
  }, 60_000)
})
