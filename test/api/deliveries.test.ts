import { startTestServer, type RunningServer } from "@signal/server/TestServer"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { api, type Api, eventually, seedTenant } from "../support/http"
import { type Receiver, type Responder, startReceiver } from "../support/receiver"
import { createDestination, expectError, ids, publish, sorted, walk } from "./helpers"

let server: RunningServer
let client: Api
let okReceiver: Receiver
let failReceiver: Receiver

const failing: Responder = (_request, _index, response) => {
  response.writeHead(500, { "content-type": "text/plain", "x-receiver": "failing" })
  response.end("boom")
}
const accepting: Responder = (_request, _index, response) => {
  response.writeHead(200, { "content-type": "application/json", "x-receiver": "ok" })
  response.end(JSON.stringify({ received: true }))
}

// One tenant with a destination that accepts and one that fails once and gives up.
let tenantId: string
let senderId: string
let okDestination: any
let failDestination: any
let first: any
let second: any

const intents = (t: string = tenantId) => `/v1/tenants/${t}/intents`
const attempts = (t: string = tenantId) => `/v1/tenants/${t}/attempts`

const finished = (eventId: string, count: number) =>
  eventually(async () => {
    const response = await client.get(`${intents()}?eventIds=${eventId}`)
    const items = response.body.items as Array<any>
    return items.length === count && items.every((i) => i.status === "succeeded" || i.status === "failed")
      ? items
      : undefined
  }, { what: `intents of ${eventId} to finish` })

const attemptsOfIntent = async (intentId: string) =>
  (await client.get(`${attempts()}?intentIds=${intentId}&order=asc`)).body.items as Array<any>

beforeAll(async () => {
  server = await startTestServer()
  client = api(server.url)
  okReceiver = await startReceiver(accepting)
  failReceiver = await startReceiver(failing)
  ;({ tenantId, senderId } = await seedTenant(client))
  okDestination = await createDestination(client, tenantId, { name: "accepts" }, okReceiver.url)
  failDestination = await createDestination(client, tenantId, {
    name: "fails",
    retry: { type: "linear", delaySeconds: 3600, maxAttempts: 1 }
  }, failReceiver.url)
  first = await publish(client, tenantId, senderId, { eventType: "order.created", topics: ["eu"] })
  second = await publish(client, tenantId, senderId, { eventType: "order.paid" })
  expect(first.destinationCount).toBe(2)
  expect(second.destinationCount).toBe(2)
  await finished(first.id, 2)
  await finished(second.id, 2)
})

afterAll(async () => {
  await okReceiver?.close()
  await failReceiver?.close()
  await server?.stop()
})

describe("GET /v1/tenants/:tenantId/intents", () => {
  it("lists intents with their outcome, filtered by eventIds, destinationIds and status", async () => {
    const all = await walk(client, intents(), { limit: 200 })
    expect(all).toHaveLength(4)

    const query = async (params: string) => {
      const response = await client.get(`${intents()}?${params}`)
      expect(response.status, params).toBe(200)
      return sorted(response.body.items.map((i: any) => `${i.eventId}>${i.destinationId}`))
    }
    const pair = (event: any, destination: any) => `${event.id}>${destination.id}`
    expect(await query(`eventIds=${first.id}`)).toEqual(sorted([pair(first, okDestination), pair(first, failDestination)]))
    expect(await query(`eventIds=${first.id},${second.id}`)).toHaveLength(4)
    expect(await query(`eventIds=${first.id}&eventIds=${second.id}`)).toHaveLength(4)
    expect(await query(`destinationIds=${okDestination.id}`)).toEqual(
      sorted([pair(first, okDestination), pair(second, okDestination)])
    )
    expect(await query("status=succeeded")).toEqual(sorted([pair(first, okDestination), pair(second, okDestination)]))
    expect(await query("status=failed")).toEqual(sorted([pair(first, failDestination), pair(second, failDestination)]))
    expect(await query("status=pending,retrying")).toEqual([])
    expect(await query(`status=failed&eventIds=${second.id}`)).toEqual([pair(second, failDestination)])
    expect(await query(`destinationIds=${failDestination.id}&status=succeeded`)).toEqual([])
    expect(await query("eventIds=evt_00000000000000000000000000")).toEqual([])
  })

  it("pages intents with limit, order and cursor", async () => {
    const asc = await walk(client, intents(), { limit: 1, order: "asc" })
    const desc = await walk(client, intents(), { limit: 3, order: "desc" })
    expect(asc).toHaveLength(4)
    expect(ids(desc)).toEqual([...ids(asc)].reverse())
    const firstPage = await client.get(`${intents()}?limit=2&order=asc`)
    expect(firstPage.body.hasMore).toBe(true)
    expect(ids(firstPage.body.items)).toEqual(ids(asc).slice(0, 2))
  })

  it("refuses bad filters with 400 and unknown tenants with 404", async () => {
    for (const query of ["status=done", "eventIds=event-1", "destinationIds=evt_00000000000000000000000000", "limit=0", "limit=201", "cursor=x"]) {
      expectError(await client.get(`${intents()}?${query}`), 400, "invalid_request")
    }
    expectError(await client.get(intents("ten_00000000000000000000000000")), 404, "not_found")
    const other = await seedTenant(client)
    expect((await client.get(intents(other.tenantId))).body).toEqual({ items: [], nextCursor: null, hasMore: false })
  })
})

describe("GET /v1/tenants/:tenantId/intents/:intentId", () => {
  it("embeds the event summary and the destination's name and URL", async () => {
    const [listed] = (await client.get(`${intents()}?eventIds=${first.id}&destinationIds=${okDestination.id}`)).body.items
    const response = await client.get(`${intents()}/${listed.id}`)
    expect(response.status).toBe(200)
    const intent = response.body
    expect(intent).toEqual(listed)
    expect(intent).toMatchObject({
      id: listed.id,
      tenantId,
      eventId: first.id,
      destinationId: okDestination.id,
      status: "succeeded",
      attemptCount: 1,
      nextAttemptAt: null,
      error: null,
      event: { id: first.id, type: "order.created", topics: ["eu"], createdAt: first.createdAt },
      destination: { id: okDestination.id, name: "accepts", webhook: { url: okReceiver.url } }
    })
    expect(intent.destination.webhook).not.toHaveProperty("signingSecret")
    expect(["pending", "succeeded", "failed", "partially_failed"]).toContain(intent.event.status)
    expect(Date.parse(intent.lastAttemptAt)).not.toBeNaN()
  })

  it("records why a failed intent failed", async () => {
    const [failed] = (await client.get(`${intents()}?eventIds=${first.id}&destinationIds=${failDestination.id}`)).body.items
    expect(failed).toMatchObject({
      status: "failed",
      attemptCount: 1,
      nextAttemptAt: null,
      destination: { name: "fails", webhook: { url: failReceiver.url } }
    })
    expect(failed.error).toMatchObject({ code: expect.any(String), message: expect.any(String) })
    const event = await client.get(`/v1/tenants/${tenantId}/events/${first.id}`)
    expect(event.body).toMatchObject({ status: "partially_failed", successCount: 1, failureCount: 1 })
  })

  it("answers 404 for unknown ids and other tenants, 400 for malformed ids", async () => {
    const [intent] = (await client.get(intents())).body.items
    const other = await seedTenant(client)
    expectError(await client.get(`${intents(other.tenantId)}/${intent.id}`), 404, "not_found")
    expectError(await client.get(`${intents()}/int_00000000000000000000000000`), 404, "not_found")
    expectError(await client.get(`${intents()}/${first.id}`), 400, "invalid_request")
  })
})

describe("attempts", () => {
  it("records each delivery with response, number, duration and the intent summary", async () => {
    const [okIntent] = (await client.get(`${intents()}?eventIds=${first.id}&destinationIds=${okDestination.id}`)).body.items
    const [attempt] = await attemptsOfIntent(okIntent.id)
    expect(attempt.id).toMatch(/^att_/)
    expect(attempt).toMatchObject({
      tenantId,
      intentId: okIntent.id,
      eventId: first.id,
      destinationId: okDestination.id,
      attemptNumber: 1,
      status: "succeeded",
      error: null,
      response: { statusCode: 200, body: JSON.stringify({ received: true }) },
      intent: { id: okIntent.id, status: "succeeded", attemptCount: 1 }
    })
    expect(attempt.response.headers["x-receiver"]).toBe("ok")
    expect(attempt.durationMs).toEqual(expect.any(Number))
    expect(attempt.durationMs).toBeGreaterThanOrEqual(0)
    expect(attempt.durationMs).toBeLessThan(10_000)
    expect(Date.parse(attempt.completedAt)).toBeGreaterThanOrEqual(Date.parse(attempt.startedAt))

    const fetched = await client.get(`${attempts()}/${attempt.id}`)
    expect(fetched.status).toBe(200)
    expect(fetched.body).toEqual(attempt)

    // The receiver really got it.
    const bodies = okReceiver.requests.map((request) => JSON.parse(request.body).id)
    expect(bodies).toContain(first.id)
  })

  it("records failed attempts with the receiver's status", async () => {
    const [failIntent] = (await client.get(`${intents()}?eventIds=${second.id}&destinationIds=${failDestination.id}`)).body.items
    const [attempt] = await attemptsOfIntent(failIntent.id)
    expect(attempt).toMatchObject({
      attemptNumber: 1,
      status: "failed",
      response: { statusCode: 500, body: "boom" },
      intent: { id: failIntent.id, status: "failed", attemptCount: 1 }
    })
    expect(attempt.error).toMatchObject({ code: expect.any(String) })
  })

  it("filters by eventIds, intentIds, destinationIds and status, and pages", async () => {
    const all = await walk(client, attempts(), { limit: 200 })
    const query = async (params: string) => {
      const response = await client.get(`${attempts()}?limit=200&${params}`)
      expect(response.status, params).toBe(200)
      return sorted(ids(response.body.items))
    }
    const matching = (predicate: (attempt: any) => boolean) => sorted(ids(all.filter(predicate)))
    expect(all.length).toBeGreaterThanOrEqual(4)
    expect(await query(`eventIds=${first.id}`)).toEqual(matching((a) => a.eventId === first.id))
    expect(await query(`eventIds=${first.id}`)).toHaveLength(matching((a) => a.eventId === first.id).length)
    expect(await query(`destinationIds=${okDestination.id}`)).toEqual(matching((a) => a.destinationId === okDestination.id))
    expect(await query("status=failed")).toEqual(matching((a) => a.status === "failed"))
    expect(await query("status=succeeded")).toEqual(matching((a) => a.status === "succeeded"))
    expect(await query("status=failed")).not.toEqual(await query("status=succeeded"))
    const someIntent = all[0].intentId
    expect(await query(`intentIds=${someIntent}`)).toEqual(matching((a) => a.intentId === someIntent))
    expect(await query(`eventIds=${second.id}&destinationIds=${failDestination.id}&status=failed`)).toEqual(
      matching((a) => a.eventId === second.id && a.destinationId === failDestination.id && a.status === "failed")
    )

    const asc = await walk(client, attempts(), { limit: 1, order: "asc" })
    const desc = await walk(client, attempts(), { limit: 2, order: "desc" })
    expect(sorted(ids(asc))).toEqual(sorted(ids(all)))
    expect(ids(desc)).toEqual([...ids(asc)].reverse())
  })

  it("answers 404 for unknown ids and other tenants, 400 for bad ids and filters", async () => {
    const [attempt] = (await client.get(attempts())).body.items
    const other = await seedTenant(client)
    expectError(await client.get(`${attempts(other.tenantId)}/${attempt.id}`), 404, "not_found")
    expectError(await client.get(`${attempts()}/att_00000000000000000000000000`), 404, "not_found")
    expectError(await client.get(`${attempts()}/${attempt.intentId}`), 400, "invalid_request")
    expectError(await client.get(attempts("ten_00000000000000000000000000")), 404, "not_found")
    expect((await client.get(attempts(other.tenantId))).body).toEqual({ items: [], nextCursor: null, hasMore: false })
    for (const query of ["status=pending", "intentIds=abc", "limit=201", "cursor=-5"]) {
      expectError(await client.get(`${attempts()}?${query}`), 400, "invalid_request")
    }
  })
})

describe("POST /v1/tenants/:tenantId/intents/:intentId/retry", () => {
  it("re-delivers a failed intent: 202, then attempt number 2", async () => {
    failReceiver.respondWith(accepting)
    try {
      const [failIntent] = (await client.get(`${intents()}?eventIds=${first.id}&destinationIds=${failDestination.id}`))
        .body.items
      const received = failReceiver.requests.length
      const response = await client.post(`${intents()}/${failIntent.id}/retry`)
      expect(response.status).toBe(202)
      expect(response.body).toMatchObject({ id: failIntent.id, eventId: first.id, destinationId: failDestination.id })
      expect(["retrying", "succeeded"]).toContain(response.body.status)

      const done = await eventually(async () => {
        const intent = (await client.get(`${intents()}/${failIntent.id}`)).body
        return intent.status === "succeeded" ? intent : undefined
      }, { what: "the retried intent to succeed" })
      expect(done.attemptCount).toBe(2)
      expect(done.error).toBeNull()
      expect(failReceiver.requests.length).toBe(received + 1)

      const history = await attemptsOfIntent(failIntent.id)
      expect(history.map((a) => [a.attemptNumber, a.status, a.response?.statusCode])).toEqual([
        [1, "failed", 500],
        [2, "succeeded", 200]
      ])
      const event = await client.get(`/v1/tenants/${tenantId}/events/${first.id}`)
      expect(event.body).toMatchObject({ status: "succeeded", successCount: 2, failureCount: 0 })
    } finally {
      failReceiver.respondWith(failing)
    }
  })

  it("re-delivers a succeeded intent without counting the event twice", async () => {
    const [okIntent] = (await client.get(`${intents()}?eventIds=${second.id}&destinationIds=${okDestination.id}`)).body.items
    const before = (await client.get(`/v1/tenants/${tenantId}/events/${second.id}`)).body
    const response = await client.post(`${intents()}/${okIntent.id}/retry`)
    expect(response.status).toBe(202)
    const history = await eventually(async () => {
      const items = await attemptsOfIntent(okIntent.id)
      return items.length === 2 && items[1].intent.status === "succeeded" ? items : undefined
    }, { what: "a second attempt" })
    expect(history.map((a) => a.attemptNumber)).toEqual([1, 2])
    const intent = (await client.get(`${intents()}/${okIntent.id}`)).body
    expect(intent).toMatchObject({ status: "succeeded", attemptCount: 2 })
    const after = (await client.get(`/v1/tenants/${tenantId}/events/${second.id}`)).body
    expect({ s: after.successCount, f: after.failureCount, status: after.status }).toEqual({
      s: before.successCount,
      f: before.failureCount,
      status: before.status
    })
  })

  it("answers 404 for unknown intents and other tenants, 400 for malformed ids", async () => {
    const [intent] = (await client.get(intents())).body.items
    const other = await seedTenant(client)
    const attemptsBefore = (await walk(client, attempts(), { limit: 200 })).length
    expectError(await client.post(`${intents(other.tenantId)}/${intent.id}/retry`), 404, "not_found")
    expectError(await client.post(`${intents()}/int_00000000000000000000000000/retry`), 404, "not_found")
    expectError(await client.post(`${intents("ten_00000000000000000000000000")}/${intent.id}/retry`), 404, "not_found")
    expectError(await client.post(`${intents()}/${first.id}/retry`), 400, "invalid_request")
    const unchanged = (await client.get(`${intents()}/${intent.id}`)).body
    expect(unchanged.status).toBe(intent.status)
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect((await walk(client, attempts(), { limit: 200 })).length).toBe(attemptsBefore)
  })
})
