import { afterAll, describe, expect, it } from "vitest"
import { eventually, seedTenant } from "../support/http"
import { startReceiver } from "../support/receiver"
import { useTestServer } from "../support/server"
import { deliveryHelpers, NO_SWEEP } from "./shared"

// The sweeper is pushed out of reach, so only the wakes sent at publish can start deliveries.
const running = useTestServer({ env: NO_SWEEP })
const receiver = startReceiver()
afterAll(async () => (await receiver).close())

describe("wakes at publish", () => {
  it("start every delivery at once, also publishes that arrive while the destination is busy", async () => {
    const { url, requests } = await receiver
    const { createDestination, publish, publishMany } = deliveryHelpers(running.client)
    const { tenantId, senderId } = await seedTenant(running.client)
    await createDestination(tenantId, url)
    const waits: Array<number> = []
    for (let i = 0; i < 5; i++) {
      const publishedAt = Date.now()
      await publish(tenantId, senderId)
      await eventually(async () => (requests.length > i ? true : undefined), { intervalMs: 10, timeoutMs: 30_000 })
      waits.push(Date.now() - publishedAt)
    }
    // batches published back to back: later wakes arrive while the first drain is still running
    await Promise.all([1, 2, 3].map(() => publishMany(tenantId, senderId, 50)))
    await eventually(async () => (requests.length >= 155 ? true : undefined), { intervalMs: 10, timeoutMs: 30_000 })
    expect(requests).toHaveLength(155)
    // far below the sweeper's period: each delivery was started by its wake
    expect(Math.max(...waits)).toBeLessThan(5_000)
  })
})
