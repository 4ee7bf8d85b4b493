import { beforeAll, expect } from "vitest"
import { deliveryHelpers } from "../delivery/shared"
import { eventually, seedTenant } from "../support/http"
import { type Receiver, useReceivers } from "../support/receiver"
import { useTestServer } from "../support/server"

/**
 * One Signal, one tenant and its receivers for a hostile-conditions test file, and what proves a
 * healthy destination unharmed meanwhile.
 */
export const useHostileSetup = (env: Record<string, string> = {}) => {
  const running = useTestServer({ env })
  const receiver = useReceivers()
  const setup = {
    running,
    receiver,
    helpers: undefined as unknown as ReturnType<typeof deliveryHelpers>,
    tenantId: "",
    senderId: "",
    /** 20 events published to `hook`'s destination (for `eventType`) all recorded as delivered within 5 s. */
    healthyDeliversWithin5s: async (hook: Receiver, eventType: string) => {
      const events = await setup.helpers.publishMany(setup.tenantId, setup.senderId, 20, { eventType })
      const ids = events.map((event) => event.id).join(",")
      const started = Date.now()
      await eventually(async () => {
        const page = await running.client.get(`/v1/tenants/${setup.tenantId}/intents?eventIds=${ids}&status=succeeded&limit=100`)
        return page.body.items.length === 20 ? true : undefined
      }, { timeoutMs: 5_000, what: "the healthy destination's 20 deliveries to be recorded", intervalMs: 50 })
      expect(Date.now() - started).toBeLessThan(5_000)
      expect(hook.requests.length).toBeGreaterThanOrEqual(20)
    }
  }
  beforeAll(async () => {
    setup.helpers = deliveryHelpers(running.client)
    const seeded = await seedTenant(running.client)
    setup.tenantId = seeded.tenantId
    setup.senderId = seeded.senderId
  })
  return setup
}
