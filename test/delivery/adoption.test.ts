/**
 * In one process (`npm start`), intents published to a destination whose drain is idle or caught up
 * are leased as they are inserted and started by that drain from memory, without a claim. The
 * sweeper is out of reach here: only wakes and adoptions start deliveries.
 */
import type { ServerResponse } from "node:http"
import { describe, expect, it } from "vitest"
import { eventually, seedTenant } from "../support/http"
import { type Receiver, type Responder, useReceivers } from "../support/receiver"
import { useTestServer } from "../support/server"
import { withSql } from "../support/sql"
import { deliveryHelpers, NO_SWEEP } from "./shared"

const LEASE_MS = 1_000
const running = useTestServer({ env: { ...NO_SWEEP, SIGNAL_LEASE_MS: String(LEASE_MS) } })
const receiver = useReceivers()

/** Intents this process's drains adopted so far, from its `/metrics`. */
const adoptedSoFar = async () => {
  const text = await (await fetch(`${running.server.url}/metrics`)).text()
  const line = /^signal_intents_adopted_total(?:\{[^}]*\})? (\d+)$/m.exec(text)
  return line === null ? 0 : Number(line[1])
}

const arrived = (hook: Receiver, count: number) =>
  eventually(async () => (hook.requests.length >= count ? true : undefined), { intervalMs: 10, timeoutMs: 20_000 })

/** A destination that has delivered once, so that its drain knows it: its next intents can be adopted. */
const warmDestination = async (eventType: string, responder?: Responder, fields: Record<string, unknown> = {}) => {
  const hook = await receiver()
  const { createDestination, publish } = deliveryHelpers(running.client)
  const { senderId, tenantId } = await seedTenant(running.client)
  const destination = await createDestination(tenantId, hook.url, { eventTypes: [eventType], ...fields })
  await publish(tenantId, senderId, { eventType })
  await arrived(hook, 1)
  if (responder !== undefined) hook.respondWith(responder)
  return { destination, hook, publish: () => publish(tenantId, senderId, { eventType }), tenantId, senderId }
}

const intentRow = async (eventId: string) =>
  (await withSql(running.server.databaseUrl, (sql) =>
    sql<{ lease_owner: string | null; status: string; ahead: boolean | null }>`
      SELECT lease_owner, status, lease_until > now() AS ahead FROM delivery_intents WHERE event_id = ${eventId}`))[0]

describe("intents adopted at ingest (npm start)", () => {
  it("start without a claim once the destination's drain is warm, each delivered once", async () => {
    const { publishMany, settled } = deliveryHelpers(running.client)
    const { hook, publish, senderId, tenantId } = await warmDestination("adopt.warm")
    const before = await adoptedSoFar()
    const events: Array<any> = []
    for (let i = 0; i < 5; i++) {
      events.push(await publish())
      await arrived(hook, 2 + i)
    }
    events.push(...await publishMany(tenantId, senderId, 8, { eventType: "adopt.warm" }))
    await arrived(hook, 14)
    for (const event of events) expect((await settled(tenantId, event.id)).attemptCount).toBe(1)
    expect(hook.requests).toHaveLength(14)
    expect(new Set(hook.requests.map((request) => request.headers["webhook-id"])).size).toBe(14)
    // The serial ones at least: each found the drain idle or caught up.
    expect(await adoptedSoFar() - before).toBeGreaterThanOrEqual(5)
  }, 60_000)

  it("adopts no more than the drain would claim, wakes it for the rest, and adopts nothing for a repeated key", async () => {
    const { createDestination, publish, publishMany, settled } = deliveryHelpers(running.client)
    const hook = await receiver()
    const { senderId, tenantId } = await seedTenant(running.client)
    // a claim asks for twice the concurrency, at least 10
    await createDestination(tenantId, hook.url, { eventTypes: ["adopt.room"], maxConcurrency: 2 })
    await publish(tenantId, senderId, { eventType: "adopt.room" })
    await arrived(hook, 1)
    const before = await adoptedSoFar()
    const events = await publishMany(tenantId, senderId, 30, { eventType: "adopt.room" })
    await arrived(hook, 31)
    const adopted = await adoptedSoFar() - before
    expect(adopted).toBeGreaterThanOrEqual(1)
    expect(adopted).toBeLessThanOrEqual(10)
    for (const event of events) expect((await settled(tenantId, event.id)).attemptCount).toBe(1)

    const keyed = { eventType: "adopt.room", idempotencyKey: "once" }
    const first = await publish(tenantId, senderId, keyed)
    await arrived(hook, 32)
    const beforeRepeat = await adoptedSoFar()
    const again = await publish(tenantId, senderId, keyed)
    const inBatch = await publishMany(tenantId, senderId, 2, keyed)
    expect([again.id, ...inBatch.map((event) => event.id)]).toEqual([first.id, first.id, first.id])
    expect(await adoptedSoFar()).toBe(beforeRepeat)
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(hook.requests).toHaveLength(32)
  }, 60_000)

  it("sends an adopted intent to the destination as stored when it changed behind the drain's back", async () => {
    const { destination, hook, publish } = await warmDestination("adopt.moved")
    const moved = await receiver()
    // Changed without telling this process (as another gateway's change whose notice is still on its way).
    await withSql(running.server.databaseUrl, (sql) => sql`UPDATE destinations SET url = ${moved.url} WHERE id = ${destination.id}`)
    const before = await adoptedSoFar()
    await publish()
    await arrived(moved, 1)
    expect(await adoptedSoFar() - before).toBe(1)
    expect(hook.requests).toHaveLength(1)
  }, 60_000)

  it("gives an adopted intent back when its destination was disabled meanwhile, and delivers it once enabled", async () => {
    const { settled } = deliveryHelpers(running.client)
    const { destination, hook, publish, tenantId } = await warmDestination("adopt.disabled")
    await withSql(running.server.databaseUrl, (sql) => sql`UPDATE destinations SET status = 'disabled' WHERE id = ${destination.id}`)
    const before = await adoptedSoFar()
    const event = await publish()
    expect(await adoptedSoFar() - before).toBe(1)
    // Given back at once, not left to lapse: pending, leased to nobody.
    await eventually(async () => {
      const row = await intentRow(event.id)
      return row.lease_owner === null && row.status === "pending" ? true : undefined
    }, { intervalMs: 20, timeoutMs: 10_000 })
    expect(hook.requests).toHaveLength(1)
    const enabled = await running.client.patch(`/v1/tenants/${tenantId}/destinations/${destination.id}`, { active: true })
    expect(enabled.status).toBe(200)
    const intent = await settled(tenantId, event.id)
    expect(intent).toMatchObject({ status: "succeeded", attemptCount: 1 })
    expect(hook.requests).toHaveLength(2)
  }, 60_000)

  it("retries on time while adopted intents keep the drain busy", async () => {
    // Answers after 150 ms, the first request with 500: published every 40 ms, requests always overlap.
    const { hook, publish } = await warmDestination("adopt.busy", (_request, index, response) => {
      setTimeout(() => {
        response.writeHead(index === 1 ? 500 : 200)
        response.end()
      }, 150)
    }, { retry: { type: "linear", delaySeconds: 1, maxAttempts: 3 } })
    const first = await publish()
    const until = Date.now() + 3_500
    while (Date.now() < until) {
      await publish()
      await new Promise((resolve) => setTimeout(resolve, 40))
    }
    const attempts = hook.requests.filter((request) => JSON.parse(request.body).id === first.id)
    expect(attempts).toHaveLength(2)
    // the policy's first retry comes after 1 s (±20 %): well before the publishing stopped
    expect(attempts[1].receivedAt - attempts[0].receivedAt).toBeLessThan(2_000)
  }, 60_000)

  it("keeps an adopted intent's lease while its request is out, however long the receiver takes", async () => {
    const { settled } = deliveryHelpers(running.client)
    const held: Array<ServerResponse> = []
    const { hook, publish, tenantId } = await warmDestination("adopt.slow", (_request, _index, response) => {
      held.push(response)
    })
    const before = await adoptedSoFar()
    const event = await publish()
    await eventually(async () => (held.length === 1 ? true : undefined), { intervalMs: 10, timeoutMs: 10_000 })
    expect(await adoptedSoFar() - before).toBe(1)
    // Three lease times later the lease is still the adopting process's, and still ahead.
    await new Promise((resolve) => setTimeout(resolve, 3 * LEASE_MS))
    const row = await intentRow(event.id)
    expect(row.lease_owner).toMatch(/:adopted$/)
    expect(row.ahead).toBe(true)
    held[0].writeHead(200)
    held[0].end("ok")
    expect((await settled(tenantId, event.id)).status).toBe("succeeded")
    expect(hook.requests).toHaveLength(2)
  }, 60_000)
})
