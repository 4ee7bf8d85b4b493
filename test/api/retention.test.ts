import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { type Api, eventually, seedTenant } from "../support/http"
import { type Responder, useReceivers } from "../support/receiver"
import { useTestServer } from "../support/server"
import { withSql } from "../support/sql"
import { createDestination, expectError, ids, publish, sorted } from "./helpers"

// Passes every 300 ms, two events per batch, so a handful of events takes several batches.
const running = useTestServer({
  env: { SIGNAL_RETENTION_INTERVAL_MS: "300", SIGNAL_RETENTION_BATCH: "2", SIGNAL_RESPONSE_BODY_RETENTION_DAYS: "7" }
})
const receiver = useReceivers()

/**
 * Moves events (with their intents and attempts) back in time, as if they had been published `days`
 * ago. Pruning remembers up to when it already dropped response bodies; time travel forgets that.
 */
const age = (eventIds: ReadonlyArray<string>, days: number) =>
  withSql(running.server.databaseUrl, (sql) =>
    Effect.gen(function*() {
      const shift = sql`make_interval(days => ${days})`
      yield* sql`UPDATE events SET created_at = created_at - ${shift} WHERE id = ANY(${eventIds}::text[])`
      yield* sql`UPDATE delivery_intents SET created_at = created_at - ${shift} WHERE event_id = ANY(${eventIds}::text[])`
      yield* sql`UPDATE delivery_attempts SET started_at = started_at - ${shift}, completed_at = completed_at - ${shift}
        WHERE event_id = ANY(${eventIds}::text[])`
      yield* sql`UPDATE tenants SET response_bodies_pruned_seq = NULL
        WHERE id IN (SELECT tenant_id FROM events WHERE id = ANY(${eventIds}::text[]))`
    })
  )

const accepting: Responder = (_request, _index, response) => {
  response.writeHead(200, { "content-type": "text/plain" })
  response.end("receipt")
}

const delivered = async (client: Api, tenantId: string, senderId: string, count: number) => {
  const events = []
  for (let i = 0; i < count; i++) events.push(await publish(client, tenantId, senderId, { payload: { i } }))
  await eventually(async () => {
    const attempts = (await client.get(`/v1/tenants/${tenantId}/attempts?limit=100`)).body.items
    return attempts.length >= count ? attempts : undefined
  }, { what: `${count} attempts` })
  return events
}

const eventIds = async (client: Api, tenantId: string) =>
  sorted(ids((await client.get(`/v1/tenants/${tenantId}/events?limit=100`)).body.items))

describe("retention", () => {
  it("deletes events, intents and attempts past retention and response bodies past theirs", async () => {
    const client = running.client
    const target = await receiver(accepting)
    const { tenantId, senderId } = await seedTenant(client)
    await createDestination(client, tenantId, {}, target.url)
    const events = await delivered(client, tenantId, senderId, 6)
    const [old, middle, recent] = [events.slice(0, 3), events.slice(3, 5), events.slice(5)]
    await age(ids(old), 31)
    await age(ids(middle), 8)

    await eventually(async () => {
      const left = await eventIds(client, tenantId)
      return left.length === 3 ? left : undefined
    }, { what: "old events to be deleted", timeoutMs: 30_000 })
    expect(await eventIds(client, tenantId)).toEqual(sorted(ids([...middle, ...recent])))
    for (const event of old) {
      expectError(await client.get(`/v1/tenants/${tenantId}/events/${event.id}`), 404, "not_found")
      expect((await client.get(`/v1/tenants/${tenantId}/intents?eventIds=${event.id}`)).body.items).toEqual([])
      expect((await client.get(`/v1/tenants/${tenantId}/attempts?eventIds=${event.id}`)).body.items).toEqual([])
    }
    // Attempts of the middle events are kept, without their receivers' bodies; recent ones keep theirs.
    const bodies = await eventually(async () => {
      const attempts = (await client.get(`/v1/tenants/${tenantId}/attempts?limit=100`)).body.items as Array<any>
      return attempts.filter((a) => ids(middle).includes(a.eventId)).every((a) => a.response.body === "")
        ? attempts
        : undefined
    }, { what: "response bodies to be dropped" })
    expect(bodies).toHaveLength(3)
    for (const attempt of bodies) {
      expect(attempt.response.statusCode).toBe(200)
      expect(attempt.response.body).toBe(ids(recent).includes(attempt.eventId) ? "receipt" : "")
    }
  })

  it("applies a tenant's own retention, and keeps an old event whose delivery is still open", async () => {
    const client = running.client
    const target = await receiver(accepting)
    const { tenantId, senderId } = await seedTenant(client)
    const other = await seedTenant(client)
    const set = await client.put(`/v1/tenants/${tenantId}/retention`, { days: 5, responseBodyDays: 2 })
    expect(set.status, JSON.stringify(set.body)).toBe(200)
    expect(set.body).toEqual({ days: 5, responseBodyDays: 2, effective: { days: 5, responseBodyDays: 2 } })
    expect((await client.get(`/v1/tenants/${other.tenantId}/retention`)).body).toEqual({
      days: null,
      responseBodyDays: null,
      effective: { days: 30, responseBodyDays: 7 }
    })

    await createDestination(client, tenantId, { eventTypes: ["order.*"] }, target.url)
    await createDestination(client, other.tenantId, {}, target.url)
    const mine = await delivered(client, tenantId, senderId, 2)
    const theirs = await delivered(client, other.tenantId, other.senderId, 1)
    // An event whose delivery retries in an hour: still open, so kept however old.
    const stuck = await receiver((_request, _index, response) => {
      response.writeHead(500)
      response.end()
    })
    const retrying = await createDestination(client, tenantId, {
      eventTypes: ["stuck.event"],
      retry: { type: "linear", delaySeconds: 3600, maxAttempts: 5 }
    }, stuck.url)
    const open = await publish(client, tenantId, senderId, { eventType: "stuck.event" })
    await eventually(async () => stuck.requests.length === 1 ? true : undefined, { what: "the open delivery's attempt" })
    expect(open.destinationCount).toBe(1)
    expect(retrying.id).toMatch(/^dst_/)

    await age([...ids(mine), ...ids(theirs), open.id], 6)
    await eventually(async () => {
      const left = await eventIds(client, tenantId)
      return left.length === 1 ? left : undefined
    }, { what: "the tenant's old events to go", timeoutMs: 30_000 })
    expect(await eventIds(client, tenantId)).toEqual([open.id])
    // 6 days is within the other tenant's (default) 30.
    expect(await eventIds(client, other.tenantId)).toEqual(ids(theirs))

    const reset = await client.put(`/v1/tenants/${tenantId}/retention`, { days: null })
    expect(reset.body).toEqual({ days: null, responseBodyDays: null, effective: { days: 30, responseBodyDays: 7 } })
  })

  it("refuses bad settings with 400 and stable codes", async () => {
    const client = running.client
    const { tenantId } = await seedTenant(client)
    const path = `/v1/tenants/${tenantId}/retention`
    expectError(await client.put(path, {}), 400, "invalid_request")
    expectError(await client.put(path, { days: 0 }), 400, "invalid_request")
    expectError(await client.put(path, { days: 1.5 }), 400, "invalid_request")
    expectError(await client.put(path, { days: 4000 }), 400, "invalid_request")
    expectError(await client.put(path, { days: "30" }), 400, "invalid_request")
    expectError(await client.put(path, { days: 10, responseBodyDays: -1 }), 400, "invalid_request")
    expectError(await client.put(path, { days: 10, responseBodyDays: 11 }), 400, "invalid_retention")
    expectError(await client.put(path, "{"), 400, "invalid_json")
    expectError(await client.get(`/v1/tenants/ten_0000000000000000000000/retention`), 404, "not_found")
    expectError(await client.put(`/v1/tenants/ten_0000000000000000000000/retention`, { days: 3 }), 404, "not_found")
    expect((await client.get(path)).body.days).toBeNull()
  })
})
