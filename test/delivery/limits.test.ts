import { beforeAll, describe, expect, it } from "vitest"
import { eventually, seedTenant } from "../support/http"
import { startReceiver } from "../support/receiver"
import { useTestServer } from "../support/server"
import { deliveryHelpers } from "./shared"

const running = useTestServer({
  env: {
    SIGNAL_CIRCUIT_FAILURE_THRESHOLD: "3",
    SIGNAL_CIRCUIT_COOLDOWN_MS: "1500",
    SIGNAL_AUTO_DISABLE_AFTER_MS: "60000"
  }
})
let helpers: ReturnType<typeof deliveryHelpers>

beforeAll(() => {
  helpers = deliveryHelpers(running.client)
})

const delayed = (ms: number) => (_request: unknown, _index: number, response: import("node:http").ServerResponse) => {
  setTimeout(() => {
    response.writeHead(200)
    response.end("ok")
  }, ms)
}

describe("destination limits", () => {
  it("never exceeds maxConcurrency, and uses it", async () => {
    const { tenantId, senderId } = await seedTenant(running.client)
    const hook = await startReceiver(delayed(100))
    const destination = await helpers.createDestination(tenantId, hook.url, { maxConcurrency: 3 })
    await helpers.publishMany(tenantId, senderId, 30)
    await helpers.drained(tenantId, destination.id)
    expect(hook.requests).toHaveLength(30)
    expect(hook.maxConcurrent()).toBeLessThanOrEqual(3)
    expect(hook.maxConcurrent()).toBe(3)
    await hook.close()
  })

  it("holds the rate limit", async () => {
    const { tenantId, senderId } = await seedTenant(running.client)
    const hook = await startReceiver()
    const destination = await helpers.createDestination(tenantId, hook.url, { rateLimitPerSecond: 5, maxConcurrency: 20 })
    await helpers.publishMany(tenantId, senderId, 20)
    await helpers.drained(tenantId, destination.id)
    const times = hook.requests.map((r) => r.receivedAt).sort((a, b) => a - b)
    expect(times).toHaveLength(20)
    // token bucket of 5/s (capacity 5): 20 requests need at least ~3 s after the first burst of 5,
    // and no 1 s window holds more than the burst plus one second of refill
    expect(times[19] - times[0]).toBeGreaterThanOrEqual(2_700)
    for (let i = 0; i < times.length; i++) {
      const inWindow = times.filter((t) => t >= times[i] && t < times[i] + 1_000).length
      expect(inWindow).toBeLessThanOrEqual(10)
    }
    // after the burst, the pace is the limit: 15 more requests take about 3 s
    expect(times[19] - times[5]).toBeGreaterThanOrEqual(2_500)
    await hook.close()
  })

  it("a slow destination does not slow a healthy one", async () => {
    const { tenantId, senderId } = await seedTenant(running.client)
    const slow = await startReceiver(delayed(3_000))
    const fast = await startReceiver()
    await helpers.createDestination(tenantId, slow.url, { maxConcurrency: 2, eventTypes: ["slow"] })
    const healthy = await helpers.createDestination(tenantId, fast.url, { maxConcurrency: 2, eventTypes: ["fast"] })
    await helpers.publishMany(tenantId, senderId, 20, { eventType: "slow" })
    const started = Date.now()
    await helpers.publishMany(tenantId, senderId, 20, { eventType: "fast" })
    await helpers.drained(tenantId, healthy.id)
    expect(fast.requests).toHaveLength(20)
    expect(Date.now() - started).toBeLessThan(2_500)
    expect(slow.requests.length).toBeLessThan(20)
    await slow.close()
    await fast.close()
  })
})

describe("circuit breaker", () => {
  it("opens after consecutive failures, waits without burning attempts, probes, and closes", async () => {
    const { tenantId, senderId } = await seedTenant(running.client)
    let healthy = false
    const hook = await startReceiver((_request, _index, response) => {
      response.writeHead(healthy ? 200 : 500)
      response.end()
    })
    const destination = await helpers.createDestination(tenantId, hook.url, {
      maxConcurrency: 1,
      retry: { type: "linear", delaySeconds: 1, maxAttempts: 20 }
    })
    const events = await helpers.publishMany(tenantId, senderId, 5)
    const opened = await eventually(async () => {
      const found = (await running.client.get(`/v1/tenants/${tenantId}/destinations/${destination.id}`)).body
      return found.circuit.state === "open" ? found : undefined
    }, { what: "circuit to open" })
    expect(opened.circuit.consecutiveFailures).toBeGreaterThanOrEqual(3)
    const sentWhenOpened = hook.requests.length
    expect(sentWhenOpened).toBe(3)
    // while open (cool-down 1.5 s) nothing goes out
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    expect(hook.requests.length).toBe(sentWhenOpened)

    healthy = true
    await helpers.drained(tenantId, destination.id)
    const closed = (await running.client.get(`/v1/tenants/${tenantId}/destinations/${destination.id}`)).body
    expect(closed.circuit).toMatchObject({ state: "closed", consecutiveFailures: 0 })
    for (const event of events) {
      const intent = await helpers.intentOf(tenantId, event.id)
      expect(intent.status).toBe("succeeded")
    }
    // the first request after the cool-down was a lone probe: it came at least 1.5 s after the 3rd failure
    const probe = hook.requests[sentWhenOpened]
    expect(probe.receivedAt - hook.requests[sentWhenOpened - 1].receivedAt).toBeGreaterThanOrEqual(1_400)
    await hook.close()
  })

  it("a disabled destination gets no deliveries until re-enabled", async () => {
    const { tenantId, senderId } = await seedTenant(running.client)
    const hook = await startReceiver()
    const destination = await helpers.createDestination(tenantId, hook.url)
    const disabled = await running.client.patch(`/v1/tenants/${tenantId}/destinations/${destination.id}`, { active: false })
    expect(disabled.body).toMatchObject({ active: false, status: "disabled" })
    const event = await helpers.publish(tenantId, senderId, { onlyForDestinations: [destination.id] })
    expect(event.destinationCount).toBe(0)
    await running.client.patch(`/v1/tenants/${tenantId}/destinations/${destination.id}`, { active: true })
    const second = await helpers.publish(tenantId, senderId)
    expect(second.destinationCount).toBe(1)
    await helpers.settled(tenantId, second.id)
    expect(hook.requests).toHaveLength(1)
    await hook.close()
  })
})
