/**
 * Hostile inputs and changes under load: header values HTTP cannot carry are refused at the API and
 * survive as failed attempts when they reach the sender anyway; disabling, deleting and re-pointing
 * a destination mid-backlog takes effect within 2 s while a healthy destination keeps delivering.
 */
import { SqlClient } from "@effect/sql"
import { clientLayer } from "@signal/store/Database"
import { Effect, Redacted } from "effect"
import type { ServerResponse } from "node:http"
import { describe, expect, it } from "vitest"
import { eventually } from "../support/http"
import type { Receiver } from "../support/receiver"
import { useHostileSetup } from "./shared"

const setup = useHostileSetup()

const inDatabase = <A>(f: (sql: SqlClient.SqlClient) => Effect.Effect<A, unknown>) =>
  Effect.runPromise(
    Effect.flatMap(SqlClient.SqlClient, f).pipe(Effect.provide(clientLayer(Redacted.make(setup.running.server.databaseUrl))), Effect.scoped)
  )

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Answers 200 after `ms`, so a backlog drains slowly enough to change things under it. */
const slow = (ms: number) => (_request: unknown, _index: number, response: ServerResponse) => {
  setTimeout(() => {
    response.writeHead(200)
    response.end("ok")
  }, ms)
}

const healthyDeliversWithin5s = (hook: Receiver, eventType: string) => setup.healthyDeliversWithin5s(hook, eventType)

/** How many requests arrive at `hook` between 2 s after a change and 1.5 s later: none, once it applied. */
const requestsAfterSettling = async (hook: Receiver) => {
  await sleep(2_000)
  const settled = hook.requests.length
  await sleep(1_500)
  return hook.requests.length - settled
}

describe("header values HTTP cannot carry", () => {
  const unsendable = { "x-note": "caf\u00e9 \u20ac" }

  it("are refused at ingest with 400 invalid_request naming the header", async () => {
    await setup.helpers.createDestination(setup.tenantId, "http://127.0.0.1:9/unused", { eventTypes: ["refused"] })
    const response = await setup.running.client.post(`/v1/tenants/${setup.tenantId}/events`, {
      senderId: setup.senderId,
      eventType: "refused",
      payload: {},
      headers: unsendable
    })
    expect(response.status).toBe(400)
    expect(response.body.code).toBe("invalid_request")
    expect(response.body.message).toContain("x-note")
    expect(response.body.message).toContain("U+20AC")
    const batch = await setup.running.client.post(`/v1/tenants/${setup.tenantId}/events/batch`, {
      events: [{ senderId: setup.senderId, eventType: "refused", payload: {}, headers: { "x-tab": "a\u0001b" } }]
    })
    expect(batch.status).toBe(400)
    expect(batch.body.message).toContain("x-tab")
  })

  it("are refused on destination create and update", async () => {
    const created = await setup.running.client.post(`/v1/tenants/${setup.tenantId}/destinations`, {
      name: "bad headers",
      variant: { type: "http_endpoint", url: "http://127.0.0.1:9/unused", method: "POST" },
      headers: unsendable
    })
    expect(created.status).toBe(400)
    expect(created.body).toMatchObject({ code: "invalid_request" })
    expect(created.body.message).toContain("x-note")
    const destination = await setup.helpers.createDestination(setup.tenantId, "http://127.0.0.1:9/unused", { eventTypes: ["never"] })
    const updated = await setup.running.client.patch(`/v1/tenants/${setup.tenantId}/destinations/${destination.id}`, {
      headers: { "x-line": "a\nb" }
    })
    expect(updated.status).toBe(400)
    expect(updated.body.message).toContain("x-line")
    // Latin-1 (obs-text) is what HTTP allows beyond ASCII: accepted, and sent as such.
    const latin = await setup.running.client.patch(`/v1/tenants/${setup.tenantId}/destinations/${destination.id}`, {
      headers: { "x-latin": "caf\u00e9" }
    })
    expect(latin.status).toBe(200)
  })

  it("that reach the sender anyway (stored before this rule) become failed attempts with `invalid_header`", async () => {
    const hook = await setup.receiver()
    const healthyHook = await setup.receiver()
    await setup.helpers.createDestination(setup.tenantId, healthyHook.url, { eventTypes: ["legacy.healthy"] })
    const destination = await setup.helpers.createDestination(setup.tenantId, hook.url, {
      eventTypes: ["legacy"],
      retry: { type: "linear", delaySeconds: 3600, maxAttempts: 2 }
    })
    await inDatabase((sql) => sql`UPDATE destinations SET headers = ${JSON.stringify(unsendable)}::jsonb WHERE id = ${destination.id}`)
    const events = await setup.helpers.publishMany(setup.tenantId, setup.senderId, 5, { eventType: "legacy" })
    await healthyDeliversWithin5s(healthyHook, "legacy.healthy")
    for (const event of events) {
      const attempts = await eventually(async () => {
        const found = await setup.helpers.attemptsOf(setup.tenantId, event.id)
        return found.length > 0 ? found : undefined
      }, { what: "the attempt to be recorded" })
      expect(attempts[0]).toMatchObject({ status: "failed", error: { code: "invalid_header" } })
      expect(attempts[0].intent.status).toBe("retrying")
    }
    expect(hook.requests).toHaveLength(0)
  })
})

describe("destination changes mid-backlog", () => {
  it("disable: no new attempts within 2 s, in-flight ones finish, the rest waits; enable resumes", async () => {
    const hook = await setup.receiver(slow(100))
    const healthyHook = await setup.receiver()
    await setup.helpers.createDestination(setup.tenantId, healthyHook.url, { eventTypes: ["disable.healthy"] })
    const destination = await setup.helpers.createDestination(setup.tenantId, hook.url, { eventTypes: ["disable"], maxConcurrency: 2 })
    await setup.helpers.publishMany(setup.tenantId, setup.senderId, 200, { eventType: "disable" })
    await eventually(async () => (hook.requests.length >= 10 ? true : undefined), { what: "deliveries to start" })
    const disabled = await setup.running.client.patch(`/v1/tenants/${setup.tenantId}/destinations/${destination.id}`, { active: false })
    expect(disabled.status).toBe(200)
    expect(await requestsAfterSettling(hook)).toBe(0)
    await healthyDeliversWithin5s(healthyHook, "disable.healthy")
    const open = await setup.running.client.get(
      `/v1/tenants/${setup.tenantId}/intents?destinationIds=${destination.id}&status=pending,retrying&limit=100`
    )
    expect(open.body.items.length).toBeGreaterThan(0)
    // nothing is left leased: every waiting intent is claimable once the destination is back
    await setup.running.client.patch(`/v1/tenants/${setup.tenantId}/destinations/${destination.id}`, { active: true })
    await setup.helpers.drained(setup.tenantId, destination.id, 60_000)
    expect(new Set(hook.requests.map((request) => request.headers["webhook-id"])).size).toBe(200)
  })

  it("delete: open intents end as `destination_deleted`, requests out end as answered, the events' counters agree, retry answers 409", async () => {
    const hook = await setup.receiver(slow(100))
    const healthyHook = await setup.receiver()
    await setup.helpers.createDestination(setup.tenantId, healthyHook.url, { eventTypes: ["delete.healthy"] })
    const destination = await setup.helpers.createDestination(setup.tenantId, hook.url, { eventTypes: ["delete"], maxConcurrency: 2 })
    const events = await setup.helpers.publishMany(setup.tenantId, setup.senderId, 100, { eventType: "delete" })
    await eventually(async () => (hook.requests.length >= 5 ? true : undefined), { what: "deliveries to start" })
    expect((await setup.running.client.delete(`/v1/tenants/${setup.tenantId}/destinations/${destination.id}`)).status).toBe(200)
    expect(await requestsAfterSettling(hook)).toBe(0)
    await healthyDeliversWithin5s(healthyHook, "delete.healthy")

    const intents = await eventually(async () => {
      const page = await setup.running.client.get(`/v1/tenants/${setup.tenantId}/intents?destinationIds=${destination.id}&limit=100`)
      const items = page.body.items as Array<any>
      return items.length === 100 && items.every((intent) => intent.status === "succeeded" || intent.status === "failed")
        ? items
        : undefined
    }, { what: "every intent of the deleted destination to end" })
    const failed = intents.filter((intent) => intent.status === "failed")
    expect(failed.length).toBeGreaterThan(0)
    for (const intent of failed) expect(intent.error.code).toBe("destination_deleted")
    // Every request the receiver saw is recorded as an attempt, and one it accepted makes its intent
    // succeeded, even when it was out as the delete came: only what had not gone out ends as deleted.
    const attempts = (await setup.running.client.get(`/v1/tenants/${setup.tenantId}/attempts?destinationIds=${destination.id}&limit=100`))
      .body.items as Array<any>
    expect(attempts.length).toBe(hook.requests.length)
    const accepted = new Set(attempts.filter((attempt) => attempt.status === "succeeded").map((attempt) => attempt.intentId))
    expect(accepted.size).toBe(hook.requests.length)
    for (const intent of intents) expect(intent.status, intent.id).toBe(accepted.has(intent.id) ? "succeeded" : "failed")
    for (const event of events.slice(0, 20)) {
      const read = (await setup.running.client.get(`/v1/tenants/${setup.tenantId}/events/${event.id}`)).body
      expect(read.successCount + read.failureCount).toBe(1)
      expect(read.status).toBe(read.successCount === 1 ? "succeeded" : "failed")
    }
    const retried = await setup.running.client.post(`/v1/tenants/${setup.tenantId}/intents/${failed[0].id}/retry`)
    expect(retried.status).toBe(409)
    expect(retried.body.code).toBe("destination_deleted")
  })

  it("an intent committed after its destination's delete (an ingest racing it) still ends as `destination_deleted`", async () => {
    const hook = await setup.receiver()
    const destination = await setup.helpers.createDestination(setup.tenantId, hook.url, { eventTypes: ["race"] })
    const [event] = await setup.helpers.publishMany(setup.tenantId, setup.senderId, 1, { eventType: "race" })
    await setup.helpers.settled(setup.tenantId, event.id)
    expect((await setup.running.client.delete(`/v1/tenants/${setup.tenantId}/destinations/${destination.id}`)).status).toBe(200)
    // What an ingest that read the destination just before the delete commits just after it.
    await inDatabase((sql) =>
      sql.withTransaction(Effect.all([
        sql`UPDATE events SET destination_count = 2, status = 'pending' WHERE id = ${event.id}`,
        sql`INSERT INTO delivery_intents (id, tenant_id, event_id, destination_id, status, next_attempt_at)
          VALUES ('int_race00000000000000000000000', ${setup.tenantId}, ${event.id}, ${destination.id}, 'pending', now())`
      ]))
    )
    const ended = await eventually(async () => {
      const intent = (await setup.running.client.get(`/v1/tenants/${setup.tenantId}/intents/int_race00000000000000000000000`)).body
      return intent.status === "failed" ? intent : undefined
    }, { what: "the sweeper to end the late intent" })
    expect(ended.error.code).toBe("destination_deleted")
    const read = (await setup.running.client.get(`/v1/tenants/${setup.tenantId}/events/${event.id}`)).body
    expect(read).toMatchObject({ successCount: 1, failureCount: 1, status: "partially_failed" })
    expect(hook.requests).toHaveLength(1)
  })

  it("retry of an intent of a disabled destination answers 409 destination_disabled", async () => {
    const hook = await setup.receiver()
    const destination = await setup.helpers.createDestination(setup.tenantId, hook.url, { eventTypes: ["retry.disabled"] })
    const [event] = await setup.helpers.publishMany(setup.tenantId, setup.senderId, 1, { eventType: "retry.disabled" })
    const intent = await setup.helpers.settled(setup.tenantId, event.id)
    await setup.running.client.patch(`/v1/tenants/${setup.tenantId}/destinations/${destination.id}`, { active: false })
    const retried = await setup.running.client.post(`/v1/tenants/${setup.tenantId}/intents/${intent.id}/retry`)
    expect(retried.status).toBe(409)
    expect(retried.body.code).toBe("destination_disabled")
    expect(retried.body.message).toContain("disabled")
  })

  it("URL and header changes apply from the next attempt, within 2 s", async () => {
    const before = await setup.receiver(slow(100))
    const after = await setup.receiver()
    const destination = await setup.helpers.createDestination(setup.tenantId, before.url, { eventTypes: ["repoint"], maxConcurrency: 2 })
    await setup.helpers.publishMany(setup.tenantId, setup.senderId, 150, { eventType: "repoint" })
    await eventually(async () => (before.requests.length >= 5 ? true : undefined), { what: "deliveries to start" })
    const patched = await setup.running.client.patch(`/v1/tenants/${setup.tenantId}/destinations/${destination.id}`, {
      variant: { type: "http_endpoint", url: after.url, method: "POST" },
      headers: { "x-route": "new" }
    })
    expect(patched.status).toBe(200)
    expect(await requestsAfterSettling(before)).toBe(0)
    await setup.helpers.drained(setup.tenantId, destination.id, 60_000)
    expect(after.requests.length).toBeGreaterThan(0)
    expect(before.requests.length + after.requests.length).toBe(150)
    expect(after.requests.every((request) => request.headers["x-route"] === "new")).toBe(true)
  })
})
