/**
 * Delivery analytics over a known set of deliveries: four destinations of one tenant that succeed at
 * once, succeed on the second attempt, fail for good, or keep retrying; the figures (counts, rates,
 * attempts per delivery, latency percentiles, queue depth) are checked against what happened.
 */
import { describe, expect, it } from "vitest"
import { deliveryHelpers } from "../delivery/shared"
import { eventually, seedTenant } from "../support/http"
import { useReceivers } from "../support/receiver"
import { useTestServer } from "../support/server"

const running = useTestServer()
const startReceiver = useReceivers()

const receiver = async (status: (index: number, webhookId: string, seen: number) => number) => {
  const seen = new Map<string, number>()
  return startReceiver((request, index, response) => {
    const id = String(request.headers["webhook-id"])
    const count = (seen.get(id) ?? 0) + 1
    seen.set(id, count)
    response.writeHead(status(index, id, count))
    response.end()
  })
}

/** percentile_cont: linear interpolation between the closest ranks. */
const percentile = (values: ReadonlyArray<number>, p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  const rank = p * (sorted.length - 1)
  const low = Math.floor(rank)
  const high = Math.ceil(rank)
  return sorted[low] + (sorted[high] - sorted[low]) * (rank - low)
}

describe("analytics", () => {
  it("reports a tenant's and a destination's deliveries as they happened", async () => {
    const { createDestination, publishMany, drained } = deliveryHelpers(running.client)
    const { tenantId, senderId } = await seedTenant(running.client)
    const ok = await createDestination(tenantId, (await receiver(() => 200)).url, { name: "ok" })
    const second = await createDestination(tenantId, (await receiver((_i, _id, seen) => (seen === 1 ? 503 : 200))).url, {
      name: "second-try",
      retry: { type: "linear", delaySeconds: 1, maxAttempts: 3 }
    })
    const broken = await createDestination(tenantId, (await receiver(() => 500)).url, {
      name: "broken",
      retry: { type: "linear", delaySeconds: 1, maxAttempts: 1 }
    })
    const stuck = await createDestination(tenantId, (await receiver(() => 500)).url, {
      name: "stuck",
      retry: { type: "linear", delaySeconds: 600, maxAttempts: 3 }
    })
    // another tenant's traffic never shows up in this tenant's figures
    const other = await seedTenant(running.client)
    await createDestination(other.tenantId, (await receiver(() => 200)).url)
    await publishMany(other.tenantId, other.senderId, 2)

    const windowStart = new Date(Date.now() - 1_000).toISOString()
    await publishMany(tenantId, senderId, 3)
    for (const destination of [ok, second, broken]) await drained(tenantId, destination.id, 15_000)
    await eventually(async () => {
      const page = await running.client.get(`/v1/tenants/${tenantId}/attempts?destinationIds=${stuck.id}&limit=10`)
      return page.body.items.length === 3 ? true : undefined
    }, { what: "first attempts of the stuck destination" })

    const attempts = (await running.client.get(`/v1/tenants/${tenantId}/attempts?limit=100`)).body.items as Array<any>
    expect(attempts).toHaveLength(3 + 6 + 3 + 3)
    const durations = attempts.map((a) => a.durationMs as number)

    const tenant = await running.client.get(`/v1/tenants/${tenantId}/analytics`)
    expect(tenant.status).toBe(200)
    expect(tenant.body).toMatchObject({
      tenantId,
      destinationId: null,
      events: 3,
      deliveries: 12,
      succeeded: 6,
      failed: 3,
      inProgress: 3,
      successRate: 6 / 9,
      attempts: 15,
      attemptsPerDelivery: 15 / 12,
      queue: { pending: 0, retrying: 3, depth: 3 }
    })
    expect(tenant.body.latencyMs.p50).toBeCloseTo(percentile(durations, 0.5), 6)
    expect(tenant.body.latencyMs.p95).toBeCloseTo(percentile(durations, 0.95), 6)
    // default window: the last 24 hours up to now
    const span = Date.parse(tenant.body.to) - Date.parse(tenant.body.from)
    expect(span).toBe(24 * 60 * 60 * 1000)
    expect(Math.abs(Date.parse(tenant.body.to) - Date.now())).toBeLessThan(10_000)

    const perDestination = async (id: string) => {
      const response = await running.client.get(`/v1/tenants/${tenantId}/destinations/${id}/analytics?from=${windowStart}`)
      expect(response.status).toBe(200)
      return response.body
    }
    const secondTry = await perDestination(second.id)
    expect(secondTry).toMatchObject({
      tenantId,
      destinationId: second.id,
      from: windowStart,
      events: 3,
      deliveries: 3,
      succeeded: 3,
      failed: 0,
      inProgress: 0,
      successRate: 1,
      attempts: 6,
      attemptsPerDelivery: 2,
      queue: { pending: 0, retrying: 0, depth: 0 }
    })
    const secondDurations = attempts.filter((a) => a.destinationId === second.id).map((a) => a.durationMs as number)
    expect(secondTry.latencyMs.p50).toBeCloseTo(percentile(secondDurations, 0.5), 6)
    expect(secondTry.latencyMs.p95).toBeCloseTo(percentile(secondDurations, 0.95), 6)

    expect(await perDestination(broken.id)).toMatchObject({
      deliveries: 3,
      succeeded: 0,
      failed: 3,
      successRate: 0,
      attempts: 3,
      attemptsPerDelivery: 1
    })
    expect(await perDestination(stuck.id)).toMatchObject({
      deliveries: 3,
      succeeded: 0,
      failed: 0,
      inProgress: 3,
      successRate: null,
      attemptsPerDelivery: 1,
      queue: { pending: 0, retrying: 3, depth: 3 }
    })
    expect(await perDestination(ok.id)).toMatchObject({ deliveries: 3, succeeded: 3, attempts: 3, successRate: 1 })

    // a window before anything happened: nothing in it, but the queue is what waits now
    const empty = await running.client.get(
      `/v1/tenants/${tenantId}/analytics?from=2020-01-01T00:00:00.000Z&to=2020-01-02T00:00:00.000Z`
    )
    expect(empty.status).toBe(200)
    expect(empty.body).toMatchObject({
      from: "2020-01-01T00:00:00.000Z",
      to: "2020-01-02T00:00:00.000Z",
      events: 0,
      deliveries: 0,
      succeeded: 0,
      failed: 0,
      successRate: null,
      attempts: 0,
      attemptsPerDelivery: null,
      latencyMs: { p50: null, p95: null },
      queue: { depth: 3 }
    })
  }, 30_000)

  it("leaves intents that expired before a request went out out of the latency", async () => {
    const { createDestination } = deliveryHelpers(running.client)
    const { tenantId, senderId } = await seedTenant(running.client)
    // one request at a time, the first answered after 2 s: the second event's 1 s ttl ends meanwhile
    const hook = await startReceiver((_request, _index, response) => {
      setTimeout(() => {
        response.writeHead(200)
        response.end()
      }, 2_000)
    })
    const destination = await createDestination(tenantId, hook.url, { maxConcurrency: 1 })
    const publish = (ttlSeconds?: number) =>
      running.client.post(`/v1/tenants/${tenantId}/events`, { senderId, eventType: "order.created", payload: {}, ttlSeconds })
    expect((await publish()).status).toBe(201)
    await eventually(async () => (hook.requests.length === 1 ? true : undefined), { what: "the first request" })
    expect((await publish(1)).status).toBe(201)
    const intents = await eventually(async () => {
      const page = await running.client.get(`/v1/tenants/${tenantId}/intents?destinationIds=${destination.id}`)
      const items = page.body.items as Array<any>
      return items.length === 2 && items.every((item) => item.status === "succeeded" || item.status === "failed")
        ? items
        : undefined
    }, { what: "both intents to end" })
    expect(intents.map((intent) => intent.error?.code ?? intent.status).sort()).toEqual(["expired", "succeeded"])
    expect(hook.requests).toHaveLength(1)
    const figures = (await running.client.get(`/v1/tenants/${tenantId}/analytics`)).body
    expect(figures).toMatchObject({ deliveries: 2, succeeded: 1, failed: 1 })
    // the one request's 2 s, not halved by the expired intent's 0 ms
    expect(figures.latencyMs.p50).toBeGreaterThan(1_500)
  }, 30_000)

  it("refuses an inverted window and unknown tenants or destinations", async () => {
    const { tenantId } = await seedTenant(running.client)
    const inverted = await running.client.get(
      `/v1/tenants/${tenantId}/analytics?from=2024-01-02T00:00:00.000Z&to=2024-01-01T00:00:00.000Z`
    )
    expect(inverted.status).toBe(400)
    expect(inverted.body.code).toBe("invalid_window")
    expect((await running.client.get(`/v1/tenants/${tenantId}/analytics?from=yesterday`)).status).toBe(400)
    expect((await running.client.get(`/v1/tenants/ten_0000000000000000000000000/analytics`)).status).toBe(404)
    const missing = await running.client.get(`/v1/tenants/${tenantId}/destinations/dst_0000000000000000000000000/analytics`)
    expect(missing.status).toBe(404)
  })

  it("is described in the OpenAPI document", async () => {
    const spec = (await running.client.get("/openapi.json")).body
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining([
      "/v1/tenants/{tenantId}/analytics",
      "/v1/tenants/{tenantId}/destinations/{destinationId}/analytics"
    ]))
  })
})
