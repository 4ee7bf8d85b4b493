import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { seedTenant } from "../support/http"
import { useTestServer } from "../support/server"
import { withSql } from "../support/sql"
import { createDestination, expectError, ids, publish, sorted, walk } from "./helpers"

const running = useTestServer()

const events = (tenantId: string) => `/v1/tenants/${tenantId}/events`

const intentsOf = async (tenantId: string, eventIds: ReadonlyArray<string>) => {
  const response = await running.client.get(`/v1/tenants/${tenantId}/intents?limit=200&eventIds=${eventIds.join(",")}`)
  expect(response.status).toBe(200)
  expect(response.body.hasMore).toBe(false)
  return response.body.items as Array<any>
}

const destinationsOf = async (tenantId: string, eventId: string) =>
  sorted((await intentsOf(tenantId, [eventId])).map((intent) => intent.destinationId))

const allEventIds = async (tenantId: string) => ids(await walk(running.client, events(tenantId), { limit: 200, order: "asc" }))

describe("POST /v1/tenants/:tenantId/events", () => {
  it("creates an event from payloadJson and from payload, and reads it back", async () => {
    const { tenantId, senderId } = await seedTenant(running.client)
    const fromJson = await running.client.post(events(tenantId), {
      senderId,
      eventType: "payment.created",
      topics: ["payments", "eu"],
      payloadJson: JSON.stringify({ amount: 1000, currency: "USD", nested: { ok: true } }),
      headers: { "X-Trace": "abc" }
    })
    expect(fromJson.status).toBe(201)
    expect(fromJson.body).toMatchObject({
      tenantId,
      senderId,
      type: "payment.created",
      topics: ["payments", "eu"],
      payload: { amount: 1000, currency: "USD", nested: { ok: true } },
      headers: { "X-Trace": "abc" },
      idempotencyKey: null,
      destinationCount: 0,
      successCount: 0,
      failureCount: 0,
      expiresAt: null,
      status: "succeeded" // nothing to deliver
    })
    expect(fromJson.body.id).toMatch(/^evt_[0-9a-z]{10,40}$/)

    const fromPayload = await running.client.post(events(tenantId), {
      senderId,
      eventType: "payment.created",
      payload: [1, "two", null, { three: 3 }],
      ttlSeconds: 3600
    })
    expect(fromPayload.status).toBe(201)
    expect(fromPayload.body.payload).toEqual([1, "two", null, { three: 3 }])
    expect(fromPayload.body.topics).toEqual([])
    expect(Date.parse(fromPayload.body.expiresAt) - Date.parse(fromPayload.body.createdAt)).toBe(3_600_000)

    for (const created of [fromJson.body, fromPayload.body]) {
      const fetched = await running.client.get(`${events(tenantId)}/${created.id}`)
      expect(fetched.status).toBe(200)
      expect(fetched.body).toEqual(created)
    }
  })

  it("accepts scalar JSON payloads and a missing payload", async () => {
    const { tenantId, senderId } = await seedTenant(running.client)
    expect((await publish(running.client, tenantId, senderId, { payload: undefined, payloadJson: "42" })).payload).toBe(42)
    expect((await publish(running.client, tenantId, senderId, { payload: undefined, payloadJson: "\"text\"" })).payload).toBe("text")
    expect((await publish(running.client, tenantId, senderId, { payload: false })).payload).toBe(false)
    expect((await publish(running.client, tenantId, senderId, { payload: undefined })).payload).toBeNull()
  })

  it("refuses bad payloads with 400 invalid_payload", async () => {
    const { tenantId, senderId } = await seedTenant(running.client)
    const base = { senderId, eventType: "x" }
    const invalidJson = await running.client.post(events(tenantId), { ...base, payloadJson: "{not json" })
    expectError(invalidJson, 400, "invalid_payload")
    expect(invalidJson.body.details).toEqual({ index: 0 })
    expectError(await running.client.post(events(tenantId), { ...base, payloadJson: "" }), 400, "invalid_payload")
    expectError(
      await running.client.post(events(tenantId), { ...base, payloadJson: "{}", payload: {} }),
      400,
      "invalid_payload"
    )
    expectError(
      await running.client.post(events(tenantId), { ...base, payloadJson: JSON.stringify({ a: "\u0000" }) }),
      400,
      "invalid_payload"
    )
    expectError(await running.client.post(events(tenantId), { ...base, payload: { a: "b\u0000" } }), 400, "invalid_payload")
    let deep: unknown = 1
    for (let i = 0; i < 40; i++) deep = { d: deep }
    expectError(await running.client.post(events(tenantId), { ...base, payloadJson: JSON.stringify(deep) }), 400, "invalid_payload")
    expectError(await running.client.post(events(tenantId), { ...base, payload: deep }), 400)
    expect(await allEventIds(tenantId)).toEqual([])
  })

  it("refuses invalid events with 400 and unknown senders or tenants with 404", async () => {
    const { tenantId, senderId } = await seedTenant(running.client)
    for (const body of [
      { eventType: "x" },
      { senderId, eventType: "" },
      { senderId, eventType: "t".repeat(201) },
      { senderId },
      { senderId: "sender", eventType: "x" },
      { senderId, eventType: "x", topics: [""] },
      { senderId, eventType: "x", topics: "eu" },
      { senderId, eventType: "x", headers: { "no spaces": "v" } },
      { senderId, eventType: "x", headers: { "X-A": "line\nbreak" } },
      { senderId, eventType: "x", idempotencyKey: "" },
      { senderId, eventType: "x", idempotencyKey: "k".repeat(256) },
      { senderId, eventType: "x", ttlSeconds: 0 },
      { senderId, eventType: "x", onlyForDestinations: ["evt_00000000000000000000000000"] },
      { senderId, eventType: "x\u0000y" }
    ]) {
      expectError(await running.client.post(events(tenantId), body), 400)
    }
    expectError(
      await running.client.post(events(tenantId), { senderId: "snd_00000000000000000000000000", eventType: "x" }),
      404,
      "not_found"
    )
    expectError(
      await running.client.post(events("ten_00000000000000000000000000"), { senderId, eventType: "x" }),
      404,
      "not_found"
    )
    expect(await allEventIds(tenantId)).toEqual([])
  })
})

describe("publishes that arrive together", () => {
  it("answers each after the shared commit; one the database refuses fails alone with 400", async () => {
    const { tenantId, senderId } = await seedTenant(running.client)
    await createDestination(running.client, tenantId, { eventTypes: ["together"] })
    const responses = await Promise.all(Array.from({ length: 40 }, (_, i) =>
      running.client.post(events(tenantId), {
        senderId,
        // Postgres refuses NUL in text: only at insert, so this one fails inside a shared commit
        eventType: i === 17 ? "together\u0000" : "together",
        payload: { i }
      })))
    expectError(responses[17], 400, "invalid_request")
    const accepted = responses.filter((_, i) => i !== 17)
    expect(accepted.map((response) => response.status)).toEqual(accepted.map(() => 201))
    expect(accepted.map((response) => response.body.payload.i)).toEqual(
      Array.from({ length: 40 }, (_, i) => i).filter((i) => i !== 17)
    )
    expect(sorted(await allEventIds(tenantId))).toEqual(sorted(ids(accepted.map((response) => response.body))))
    const intents = await intentsOf(tenantId, ids(accepted.map((response) => response.body)))
    expect(sorted(intents.map((intent) => intent.eventId))).toEqual(sorted(ids(accepted.map((response) => response.body))))
  }, 30_000)

  it("routes by destinations as they were just created, changed, disabled or deleted", async () => {
    const { tenantId, senderId } = await seedTenant(running.client)
    const routed = async (eventType: string) =>
      (await publish(running.client, tenantId, senderId, { eventType })).destinationCount
    expect(await routed("x")).toBe(0)
    const destination = await createDestination(running.client, tenantId, { eventTypes: ["x"] })
    expect(await routed("x")).toBe(1)
    const path = `/v1/tenants/${tenantId}/destinations/${destination.id}`
    expect((await running.client.patch(path, { eventTypes: ["y"] })).status).toBe(200)
    expect(await routed("x")).toBe(0)
    expect(await routed("y")).toBe(1)
    expect((await running.client.patch(path, { active: false })).status).toBe(200)
    expect(await routed("y")).toBe(0)
    expect((await running.client.patch(path, { active: true })).status).toBe(200)
    expect(await routed("y")).toBe(1)
    expect((await running.client.delete(path)).status).toBeLessThan(300)
    expect(await routed("y")).toBe(0)
  }, 30_000)
})

describe("fan-out", () => {
  it("writes one intent per matching destination and reports destinationCount", async () => {
    const { tenantId, senderId: s1 } = await seedTenant(running.client)
    const { senderId: s2 } = await seedTenant(running.client)
    const other = await seedTenant(running.client)

    const all = await createDestination(running.client, tenantId, { name: "all" })
    const created = await createDestination(running.client, tenantId, { name: "created", eventTypes: ["order.created"] })
    const regions = await createDestination(running.client, tenantId, { name: "regions", topics: ["eu", "us"] })
    const fromS1 = await createDestination(running.client, tenantId, { name: "s1", senderId: s1 })
    const inactive = await createDestination(running.client, tenantId, { name: "inactive", active: false })
    const euOrders = await createDestination(running.client, tenantId, {
      name: "eu orders",
      eventTypes: ["order.created", "order.updated"],
      topics: ["eu"]
    })
    const noTypes = await createDestination(running.client, tenantId, { name: "no types", eventTypes: [] })
    await createDestination(running.client, other.tenantId, { name: "other tenant" })

    const cases: Array<[string, Record<string, unknown>, Array<string>]> = [
      ["type matches, no topics, sender s1", { senderId: s1, eventType: "order.created", topics: [] }, [
        all.id,
        created.id,
        fromS1.id
      ]],
      ["other type with eu topic from s2", { senderId: s2, eventType: "order.updated", topics: ["eu"] }, [
        all.id,
        regions.id,
        euOrders.id
      ]],
      ["topics overlap on us only", { senderId: s1, eventType: "order.created", topics: ["us", "asia"] }, [
        all.id,
        created.id,
        regions.id,
        fromS1.id
      ]],
      ["no overlap", { senderId: s2, eventType: "order.created", topics: ["asia"] }, [all.id, created.id]],
      ["onlyForDestinations narrows and never adds", {
        senderId: s2,
        eventType: "order.created",
        topics: ["eu"],
        onlyForDestinations: [created.id, inactive.id, regions.id, fromS1.id]
      }, [created.id, regions.id]],
      ["onlyForDestinations: another tenant's destination", {
        senderId: s1,
        eventType: "order.created",
        onlyForDestinations: [(await running.client.get(`/v1/tenants/${other.tenantId}/destinations`)).body.items[0].id]
      }, []],
      ["onlyForDestinations: [] means none", { senderId: s1, eventType: "order.created", onlyForDestinations: [] }, []],
      ["onlyForDestinations: null means all", {
        senderId: s2,
        eventType: "unknown.type",
        onlyForDestinations: null
      }, [all.id]]
    ]

    for (const [what, fields, expected] of cases) {
      const event = await publish(running.client, tenantId, String(fields.senderId), fields)
      expect(event.destinationCount, what).toBe(expected.length)
      expect(await destinationsOf(tenantId, event.id), what).toEqual(sorted(expected))
      expect(event.status, what).toBe(expected.length === 0 ? "succeeded" : "pending")
    }
    // Never routed: the inactive one and the one with an empty type list.
    const neverRouted = await running.client.get(`/v1/tenants/${tenantId}/intents?destinationIds=${inactive.id},${noTypes.id}`)
    expect(neverRouted.body.items).toEqual([])
  })

  it("writes intents carrying the event and destination summaries", async () => {
    const { tenantId, senderId } = await seedTenant(running.client)
    const a = await createDestination(running.client, tenantId, { name: "a" })
    const b = await createDestination(running.client, tenantId, { name: "b" })
    const event = await publish(running.client, tenantId, senderId, { topics: ["t"] })
    const intents = await intentsOf(tenantId, [event.id])
    expect(intents).toHaveLength(2)
    for (const intent of intents) {
      expect(intent.id).toMatch(/^int_/)
      expect(intent).toMatchObject({
        tenantId,
        eventId: event.id,
        event: { id: event.id, type: "order.created", topics: ["t"] }
      })
      expect([a.id, b.id]).toContain(intent.destinationId)
      expect(intent.destination.id).toBe(intent.destinationId)
    }
  })
})

describe("idempotency", () => {
  it("answers a repeated idempotencyKey with the original event and writes no new intents", async () => {
    const { tenantId, senderId } = await seedTenant(running.client)
    await createDestination(running.client, tenantId)
    await createDestination(running.client, tenantId)
    const first = await publish(running.client, tenantId, senderId, { idempotencyKey: "order-1", payload: { v: 1 } })
    expect(first.destinationCount).toBe(2)
    expect(first.idempotencyKey).toBe("order-1")

    // A third destination appears: a replay must still not fan out again.
    await createDestination(running.client, tenantId)
    const again = await publish(running.client, tenantId, senderId, {
      idempotencyKey: "order-1",
      payload: { v: 2 },
      eventType: "something.else"
    })
    expect(again.id).toBe(first.id)
    expect(again.payload).toEqual({ v: 1 })
    expect(again.type).toBe("order.created")
    expect(again.destinationCount).toBe(2)
    expect(await intentsOf(tenantId, [first.id])).toHaveLength(2)
    expect(await allEventIds(tenantId)).toEqual([first.id])

    const different = await publish(running.client, tenantId, senderId, { idempotencyKey: "order-2" })
    expect(different.id).not.toBe(first.id)
    expect(different.destinationCount).toBe(3)
  })

  it("scopes keys to the tenant", async () => {
    const a = await seedTenant(running.client)
    const b = await seedTenant(running.client)
    const inA = await publish(running.client, a.tenantId, a.senderId, { idempotencyKey: "shared-key" })
    const inB = await publish(running.client, b.tenantId, a.senderId, { idempotencyKey: "shared-key" })
    expect(inB.id).not.toBe(inA.id)
    expect(inB.tenantId).toBe(b.tenantId)
    expectError(await running.client.get(`${events(b.tenantId)}/${inA.id}`), 404, "not_found")
  })

  it("creates one event for concurrent requests with the same key", async () => {
    const { tenantId, senderId } = await seedTenant(running.client)
    await createDestination(running.client, tenantId)
    const responses = await Promise.all(
      Array.from({ length: 10 }, () =>
        running.client.post(events(tenantId), { senderId, eventType: "x", idempotencyKey: "race" }))
    )
    for (const response of responses) expect(response.status).toBe(201)
    const eventIds = new Set(responses.map((response) => response.body.id))
    expect(eventIds.size).toBe(1)
    expect(await allEventIds(tenantId)).toEqual([...eventIds])
    expect(await intentsOf(tenantId, [...eventIds])).toHaveLength(1)
  })

  it("resolves repeated keys inside one batch to the first item", async () => {
    const { tenantId, senderId } = await seedTenant(running.client)
    await createDestination(running.client, tenantId)
    const response = await running.client.post(`${events(tenantId)}/batch`, {
      events: [
        { senderId, eventType: "a", idempotencyKey: "k1" },
        { senderId, eventType: "b" },
        { senderId, eventType: "c", idempotencyKey: "k1" }
      ]
    })
    expect(response.status).toBe(201)
    const [first, second, third] = response.body.items
    expect(third.id).toBe(first.id)
    expect(third.type).toBe("a")
    expect(second.id).not.toBe(first.id)
    expect(sorted(await allEventIds(tenantId))).toEqual(sorted([first.id, second.id]))
    expect(await intentsOf(tenantId, [first.id, second.id])).toHaveLength(2)
  })
})

describe("POST /v1/tenants/:tenantId/events/batch", () => {
  it("creates several events in one request, answering and listing them in request order", async () => {
    const { tenantId, senderId } = await seedTenant(running.client)
    await createDestination(running.client, tenantId, { eventTypes: ["b", "d"] })
    const types = ["a", "b", "c", "d", "e"]
    const response = await running.client.post(`${events(tenantId)}/batch`, {
      events: types.map((eventType, i) => ({ senderId, eventType, payload: { i } }))
    })
    expect(response.status).toBe(201)
    const items = response.body.items
    expect(items.map((item: any) => item.type)).toEqual(types)
    expect(items.map((item: any) => item.payload.i)).toEqual([0, 1, 2, 3, 4])
    expect(items.map((item: any) => item.destinationCount)).toEqual([0, 1, 0, 1, 0])
    expect(new Set(ids(items)).size).toBe(5)
    // numbered as published, whatever order their ids sort in
    expect(await allEventIds(tenantId)).toEqual(ids(items))
    expect(await intentsOf(tenantId, ids(items))).toHaveLength(2)
  })

  it("keeps text beyond ASCII intact through a batch without keys: answers, storage and intents", async () => {
    const { tenantId, senderId } = await seedTenant(running.client)
    await createDestination(running.client, tenantId, { eventTypes: ["café.créé"] })
    const texts = ["é\"\\", "😀 emoji", "中文 ∑ ß", "\u2028 line separator", "plain"]
    const response = await running.client.post(`${events(tenantId)}/batch`, {
      events: texts.map((text, i) => ({
        senderId,
        eventType: i % 2 === 0 ? "café.créé" : "other",
        topics: [`tópico-${i}`],
        ...(i === 3 ? { payloadJson: JSON.stringify({ text }) } : { payload: { text, list: [text] } }),
        headers: { "X-Note": `ñ${i}` }
      }))
    })
    expect(response.status).toBe(201)
    const items: Array<any> = response.body.items
    expect(items.map((item) => item.payload.text)).toEqual(texts)
    expect(items.map((item) => item.topics[0])).toEqual(texts.map((_, i) => `tópico-${i}`))
    expect(items.map((item) => item.destinationCount)).toEqual([1, 0, 1, 0, 1])
    for (const item of items) {
      const fetched = await running.client.get(`${events(tenantId)}/${item.id}`)
      expect(fetched.status).toBe(200)
      expect(fetched.body).toEqual(item)
    }
    expect(await intentsOf(tenantId, ids(items))).toHaveLength(3)
  })

  it("answers every item, new or an idempotent repeat, exactly as GET reads it back", async () => {
    const { tenantId, senderId } = await seedTenant(running.client)
    await createDestination(running.client, tenantId, { eventTypes: ["b"] })
    const first = await publish(running.client, tenantId, senderId, { eventType: "b", idempotencyKey: "k-1" })
    const response = await running.client.post(`${events(tenantId)}/batch`, {
      events: [
        { senderId, eventType: "a", topics: ["t1", "t2"], headers: { "X-One": "1" }, payload: { nested: [1, { x: "é\"" }] } },
        { senderId, eventType: "b", ttlSeconds: 90, payloadJson: "{\"z\":1,\"a\":[true,null,1.5]}" },
        { senderId, eventType: "b", idempotencyKey: "k-1", payload: { ignored: true } },
        { senderId, eventType: "c", idempotencyKey: "k-2", payload: "text" },
        { senderId, eventType: "c", idempotencyKey: "k-2", payload: "repeat" }
      ]
    })
    expect(response.status).toBe(201)
    expect(response.headers.get("content-type")).toMatch(/^application\/json/)
    const items: Array<any> = response.body.items
    expect(items[2]).toEqual(first)
    expect(items[4]).toEqual(items[3])
    expect(items[1].expiresAt).not.toBeNull()
    for (const item of items) {
      const fetched = await running.client.get(`${events(tenantId)}/${item.id}`)
      expect(fetched.status).toBe(200)
      expect(item).toEqual(fetched.body)
    }
  })

  it("accepts 1000 events and refuses 1001 or none with 400", async () => {
    const { tenantId, senderId } = await seedTenant(running.client)
    const event = { senderId, eventType: "bulk" }
    const tooMany = await running.client.post(`${events(tenantId)}/batch`, { events: Array.from({ length: 1001 }, () => event) })
    expectError(tooMany, 400, "invalid_request")
    expectError(await running.client.post(`${events(tenantId)}/batch`, { events: [] }), 400, "invalid_request")
    expectError(await running.client.post(`${events(tenantId)}/batch`, {}), 400, "invalid_request")
    expect(await allEventIds(tenantId)).toEqual([])

    const max = await running.client.post(`${events(tenantId)}/batch`, { events: Array.from({ length: 1000 }, () => event) })
    expect(max.status).toBe(201)
    expect(max.body.items).toHaveLength(1000)
    expect((await walk(running.client, events(tenantId), { limit: 200 })).length).toBe(1000)
  })

  it("stores nothing when one item is invalid", async () => {
    const { tenantId, senderId } = await seedTenant(running.client)
    await createDestination(running.client, tenantId)
    const existing = await publish(running.client, tenantId, senderId)
    const good = { senderId, eventType: "good" }

    const badJson = await running.client.post(`${events(tenantId)}/batch`, {
      events: [good, { ...good, payloadJson: "{oops" }, good]
    })
    expectError(badJson, 400, "invalid_payload")
    expect(badJson.body.details).toEqual({ index: 1 })

    expectError(await running.client.post(`${events(tenantId)}/batch`, { events: [good, good, { ...good, eventType: "" }] }), 400)
    expectError(
      await running.client.post(`${events(tenantId)}/batch`, {
        events: [good, { ...good, senderId: "snd_00000000000000000000000000" }]
      }),
      404,
      "not_found"
    )
    expectError(await running.client.post(`${events(tenantId)}/batch`, { events: [good, { ...good, eventType: "n\u0000" }] }), 400)

    expect(await allEventIds(tenantId)).toEqual([existing.id])
    const intents = await running.client.get(`/v1/tenants/${tenantId}/intents?limit=200`)
    expect(intents.body.items.map((i: any) => i.eventId)).toEqual([existing.id])
  })
})

describe("GET /v1/tenants/:tenantId/events", () => {
  it("filters by eventTypes, topics, senderIds and status", async () => {
    const { tenantId, senderId: s1 } = await seedTenant(running.client)
    const { senderId: s2 } = await seedTenant(running.client)
    const routed = await createDestination(running.client, tenantId, { eventTypes: ["routed"] })
    const e1 = await publish(running.client, tenantId, s1, { eventType: "a", topics: ["red"] })
    const e2 = await publish(running.client, tenantId, s2, { eventType: "b", topics: ["red", "blue"] })
    const e3 = await publish(running.client, tenantId, s1, { eventType: "c", topics: [] })
    const e4 = await publish(running.client, tenantId, s2, { eventType: "routed", topics: ["green"] })
    expect(e4.destinationCount).toBe(1)
    expect(routed.id).toBeDefined()

    const query = async (params: string) => {
      const response = await running.client.get(`${events(tenantId)}?${params}`)
      expect(response.status, params).toBe(200)
      return sorted(ids(response.body.items))
    }
    expect(await query("")).toEqual(sorted([e1.id, e2.id, e3.id, e4.id]))
    expect(await query("eventTypes=a")).toEqual([e1.id])
    expect(await query("eventTypes=a,c")).toEqual(sorted([e1.id, e3.id]))
    expect(await query("eventTypes=a&eventTypes=b")).toEqual(sorted([e1.id, e2.id]))
    expect(await query("eventTypes=nope")).toEqual([])
    expect(await query("topics=red")).toEqual(sorted([e1.id, e2.id]))
    expect(await query("topics=blue,green")).toEqual(sorted([e2.id, e4.id]))
    expect(await query(`senderIds=${s1}`)).toEqual(sorted([e1.id, e3.id]))
    expect(await query(`senderIds=${s1}&senderIds=${s2}`)).toEqual(sorted([e1.id, e2.id, e3.id, e4.id]))
    expect(await query("status=succeeded")).toEqual(sorted([e1.id, e2.id, e3.id]))
    expect(await query("status=pending,failed")).toEqual([e4.id])
    expect(await query(`eventTypes=a,b&topics=blue&senderIds=${s2}`)).toEqual([e2.id])
    expect(await query(`eventTypes=a&senderIds=${s2}`)).toEqual([])
  })

  it("keeps the columns a finished delivery updates out of every index of events, so that update is HOT", async () => {
    const { indexes, options } = await withSql(running.server.databaseUrl, (sql) =>
      Effect.all({
        indexes: sql<{ readonly definition: string }>`
          SELECT pg_get_indexdef(indexrelid) AS definition FROM pg_index WHERE indrelid = 'events'::regclass`,
        options: sql<{ readonly options: ReadonlyArray<string> | null }>`
          SELECT reloptions AS options FROM pg_class WHERE oid = 'events'::regclass`
      })
    )
    // the ids, seq, tenant and the like are indexed; what completions write is not
    expect(indexes.length).toBeGreaterThan(3)
    for (const { definition } of indexes) expect(definition).not.toMatch(/\b(status|success_count|failure_count)\b/)
    // room on each page for the row's next version (test/delivery/delivery.test.ts sees the rows stay)
    expect(options[0].options).toContain("fillfactor=50")
  })

  it("filters by createdAfter (inclusive) and createdBefore (exclusive)", async () => {
    const { tenantId, senderId } = await seedTenant(running.client)
    const pause = () => new Promise((resolve) => setTimeout(resolve, 15))
    const e1 = await publish(running.client, tenantId, senderId)
    await pause()
    const e2 = await publish(running.client, tenantId, senderId)
    await pause()
    const e3 = await publish(running.client, tenantId, senderId)
    expect(Date.parse(e1.createdAt)).toBeLessThan(Date.parse(e2.createdAt))
    expect(Date.parse(e2.createdAt)).toBeLessThan(Date.parse(e3.createdAt))

    const query = async (params: string) => {
      const response = await running.client.get(`${events(tenantId)}?order=asc&${params}`)
      expect(response.status, params).toBe(200)
      return ids(response.body.items)
    }
    const at = (event: any) => encodeURIComponent(event.createdAt)
    expect(await query(`createdAfter=${at(e2)}`)).toEqual([e2.id, e3.id])
    expect(await query(`createdBefore=${at(e2)}`)).toEqual([e1.id])
    expect(await query(`createdAfter=${at(e1)}&createdBefore=${at(e3)}`)).toEqual([e1.id, e2.id])
    expect(await query(`createdAfter=${encodeURIComponent(new Date(Date.parse(e3.createdAt) + 1).toISOString())}`))
      .toEqual([])
    expect(await query(`createdBefore=2000-01-01T00:00:00Z`)).toEqual([])
  })

  it("pages with limit, order and cursor, also while events are being published", async () => {
    const { tenantId, senderId } = await seedTenant(running.client)
    const batch = await running.client.post(`${events(tenantId)}/batch`, {
      events: Array.from({ length: 23 }, (_, i) => ({ senderId, eventType: i % 2 === 0 ? "even" : "odd" }))
    })
    expect(batch.status).toBe(201)
    const original = sorted(ids(batch.body.items))

    const asc = await walk(running.client, events(tenantId), { limit: 5, order: "asc" })
    const desc = await walk(running.client, events(tenantId), { limit: 4, order: "desc" })
    expect(sorted(ids(asc))).toEqual(original)
    expect(ids(desc)).toEqual([...ids(asc)].reverse())

    const filtered = await walk(running.client, `${events(tenantId)}?eventTypes=even`, { limit: 3, order: "asc" })
    expect(filtered).toHaveLength(12)
    expect(filtered.every((event) => event.type === "even")).toBe(true)

    const publishedDuring: Array<string> = []
    const concurrent = await walk(running.client, events(tenantId), {
      limit: 4,
      order: "desc",
      between: async () => {
        const response = await running.client.post(`${events(tenantId)}/batch`, {
          events: [{ senderId, eventType: "late" }, { senderId, eventType: "late" }]
        })
        publishedDuring.push(...ids(response.body.items))
      }
    })
    expect(ids(concurrent)).toEqual(ids(desc))
    expect(publishedDuring.length).toBeGreaterThan(0)

    const ascDuring = await walk(running.client, events(tenantId), {
      limit: 7,
      order: "asc",
      between: async () => {
        const e = await publish(running.client, tenantId, senderId, { eventType: "later" })
        publishedDuring.push(e.id)
      }
    })
    expect(new Set(ids(ascDuring)).size).toBe(ascDuring.length)
    expect(ids(ascDuring).slice(0, asc.length)).toEqual(ids(asc))
    expect(sorted(ids(ascDuring))).toEqual(sorted([...original, ...publishedDuring]))
  })

  it("refuses bad list parameters with 400", async () => {
    const { tenantId } = await seedTenant(running.client)
    for (const query of [
      "limit=0",
      "limit=201",
      "limit=ten",
      "order=sideways",
      "cursor=abc",
      "cursor=1e5",
      "cursor=99999999999999999999",
      "cursor=9223372036854775808",
      "status=unknown",
      "senderIds=sender-1",
      "createdAfter=yesterday",
      "createdBefore=2024-13-45"
    ]) {
      expectError(await running.client.get(`${events(tenantId)}?${query}`), 400, "invalid_request")
    }
    expect((await running.client.get(`${events(tenantId)}?cursor=9223372036854775807`)).body).toEqual({
      items: [],
      nextCursor: null,
      hasMore: false
    })
    expect((await running.client.get(`${events(tenantId)}?eventTypes=%00`)).status).toBeLessThan(500)
  })
})

describe("GET /v1/tenants/:tenantId/events/:eventId", () => {
  it("answers 404 for unknown ids and other tenants' events, 400 for malformed ids", async () => {
    const a = await seedTenant(running.client)
    const b = await seedTenant(running.client)
    const event = await publish(running.client, a.tenantId, a.senderId)
    expect((await running.client.get(`${events(a.tenantId)}/${event.id}`)).status).toBe(200)
    expectError(await running.client.get(`${events(b.tenantId)}/${event.id}`), 404, "not_found")
    expectError(await running.client.get(`${events(a.tenantId)}/evt_00000000000000000000000000`), 404, "not_found")
    expectError(await running.client.get(`${events(a.tenantId)}/int_00000000000000000000000000`), 400, "invalid_request")
    expect(ids((await running.client.get(events(b.tenantId))).body.items)).toEqual([])
    expectError(await running.client.get(events("ten_00000000000000000000000000")), 404, "not_found")
  })
})
