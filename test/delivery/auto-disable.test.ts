import { describe, expect, it } from "vitest"
import { eventually, seedTenant } from "../support/http"
import { startReceiver } from "../support/receiver"
import { useTestServer } from "../support/server"
import { deliveryHelpers } from "./shared"

const running = useTestServer({ env: { SIGNAL_AUTO_DISABLE_AFTER_MS: "1500" } })

describe("automatic disabling", () => {
  it("disables a destination that keeps failing for the configured period, and a manual enable clears it", async () => {
    const { tenantId, senderId } = await seedTenant(running.client)
    let healthy = false
    const hook = await startReceiver((_request, _index, response) => {
      response.writeHead(healthy ? 200 : 500)
      response.end()
    })
    const helpers = deliveryHelpers(running.client)
    const destination = await helpers.createDestination(tenantId, hook.url, {
      retry: { type: "linear", delaySeconds: 1, maxAttempts: 30 }
    })
    await helpers.publish(tenantId, senderId)
    const disabled = await eventually(async () => {
      const found = (await running.client.get(`/v1/tenants/${tenantId}/destinations/${destination.id}`)).body
      return found.status === "disabled" ? found : undefined
    }, { what: "the destination to be disabled", timeoutMs: 20_000 })
    expect(disabled).toMatchObject({ active: false, disabledReason: "failing" })
    // disabled: no new intents are routed to it
    const next = await helpers.publish(tenantId, senderId)
    expect(next.destinationCount).toBe(0)

    healthy = true
    const enabled = await running.client.patch(`/v1/tenants/${tenantId}/destinations/${destination.id}`, { active: true })
    expect(enabled.body).toMatchObject({ active: true, status: "active", disabledReason: null })
    expect(enabled.body.circuit).toMatchObject({ state: "closed", consecutiveFailures: 0 })
    const after = await helpers.publish(tenantId, senderId)
    expect(after.destinationCount).toBe(1)
    await helpers.settled(tenantId, after.id)
    await hook.close()
  })
})
