import { describe, expect, it } from "vitest"
import { eventually, seedTenant } from "../support/http"
import { useTestServer } from "../support/server"
import { createDestination, expectError, ids, nowhere, publish, walk } from "./helpers"

const running = useTestServer()

const path = (tenantId: string, destinationId?: string) =>
  `/v1/tenants/${tenantId}/destinations${destinationId ? `/${destinationId}` : ""}`

describe("POST /v1/tenants/:tenantId/destinations", () => {
  it("creates a destination with defaults", async () => {
    const { tenantId } = await seedTenant(running.client)
    const response = await running.client.post(path(tenantId), {
      name: "orders",
      variant: { type: "http_endpoint", url: nowhere("orders") }
    })
    expect(response.status).toBe(201)
    const destination = response.body
    expect(destination.id).toMatch(/^dst_[0-9a-z]{10,40}$/)
    expect(destination).toMatchObject({
      tenantId,
      senderId: null,
      name: "orders",
      description: null,
      eventTypes: null,
      topics: [],
      retry: { type: "exponential", delaySeconds: 30, maxAttempts: 8 },
      variant: { type: "http_endpoint", url: nowhere("orders"), method: "POST" },
      headers: {},
      timeoutSeconds: 30,
      maxConcurrency: 10,
      rateLimitPerSecond: null,
      active: true,
      status: "active",
      disabledReason: null,
      circuit: { state: "closed", consecutiveFailures: 0, openedAt: null },
      webhook: { url: nowhere("orders") }
    })
    expect(destination.webhook.signingSecret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/)
    expect(Buffer.from(destination.webhook.signingSecret.slice(6), "base64").length).toBe(24)
    expect(Date.parse(destination.createdAt)).not.toBeNaN()

    const fetched = await running.client.get(path(tenantId, destination.id))
    expect(fetched.status).toBe(200)
    expect(fetched.body).toEqual(destination)
  })

  it("gives every destination its own signing secret", async () => {
    const { tenantId } = await seedTenant(running.client)
    const a = await createDestination(running.client, tenantId)
    const b = await createDestination(running.client, tenantId)
    expect(a.webhook.signingSecret).not.toBe(b.webhook.signingSecret)
  })

  it("stores every given field", async () => {
    const { tenantId, senderId } = await seedTenant(running.client)
    const destination = await createDestination(running.client, tenantId, {
      senderId,
      name: "full",
      description: "all the fields",
      eventTypes: ["order.created", "order.paid"],
      topics: ["eu"],
      retry: { type: "linear", delaySeconds: 5, maxAttempts: 3 },
      variant: { type: "http_endpoint", url: "http://example.invalid:8080/path?q=1", method: "PUT" },
      headers: { "X-Team": "billing", Authorization: "Bearer abc" },
      timeoutSeconds: 300,
      maxConcurrency: 3,
      rateLimitPerSecond: 50,
      active: false
    })
    expect(destination).toMatchObject({
      senderId,
      name: "full",
      description: "all the fields",
      eventTypes: ["order.created", "order.paid"],
      topics: ["eu"],
      retry: { type: "linear", delaySeconds: 5, maxAttempts: 3 },
      variant: { url: "http://example.invalid:8080/path?q=1", method: "PUT" },
      headers: { "X-Team": "billing", Authorization: "Bearer abc" },
      timeoutSeconds: 300,
      maxConcurrency: 3,
      rateLimitPerSecond: 50,
      active: false,
      status: "disabled",
      webhook: { url: "http://example.invalid:8080/path?q=1" }
    })
    const fetched = await running.client.get(path(tenantId, destination.id))
    expect(fetched.body).toEqual(destination)
  })

  it("accepts timeoutSeconds at the bounds 1 and 300", async () => {
    const { tenantId } = await seedTenant(running.client)
    expect((await createDestination(running.client, tenantId, { timeoutSeconds: 1 })).timeoutSeconds).toBe(1)
    expect((await createDestination(running.client, tenantId, { timeoutSeconds: 300 })).timeoutSeconds).toBe(300)
  })

  it("refuses invalid destinations with 400 and stores nothing", async () => {
    const { tenantId } = await seedTenant(running.client)
    const variant = (url: string, method?: string) => ({ type: "http_endpoint", url, ...(method ? { method } : {}) })
    const invalid: Array<[string, Record<string, unknown>]> = [
      ["ftp scheme", { variant: variant("ftp://example.com/hook") }],
      ["javascript scheme", { variant: variant("javascript:alert(1)") }],
      ["credentials in URL", { variant: variant("https://user:pass@example.com/hook") }],
      ["username only in URL", { variant: variant("https://user@example.com/hook") }],
      ["relative URL", { variant: variant("/hook") }],
      ["not a URL", { variant: variant("not a url") }],
      ["URL too long", { variant: variant(`https://example.com/${"a".repeat(2100)}`) }],
      ["timeoutSeconds 0", { timeoutSeconds: 0 }],
      ["timeoutSeconds 301", { timeoutSeconds: 301 }],
      ["timeoutSeconds fractional", { timeoutSeconds: 1.5 }],
      ["timeoutSeconds string", { timeoutSeconds: "30" }],
      ["bad method", { variant: variant("https://example.com/hook", "FETCH") }],
      ["lower-case method", { variant: variant("https://example.com/hook", "post") }],
      ["unknown variant type", { variant: { type: "sqs", url: "https://example.com/hook" } }],
      ["missing variant", { variant: undefined }],
      ["empty name", { name: "" }],
      ["retry maxAttempts 0", { retry: { type: "linear", delaySeconds: 1, maxAttempts: 0 } }],
      ["retry unknown type", { retry: { type: "fibonacci", delaySeconds: 1, maxAttempts: 3 } }],
      ["maxConcurrency 0", { maxConcurrency: 0 }],
      ["rateLimitPerSecond 0", { rateLimitPerSecond: 0 }],
      ["invalid header name", { headers: { "bad header": "x" } }],
      ["invalid header name among valid ones", { headers: { "X-Ok": "1", "X-Bad:": "x" } }],
      ["too many headers", { headers: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`X-H${i}`, "v"])) }],
      ["header value with a line break", { headers: { "X-A": "a\r\nX-Injected: 1" } }],
      ["a header that frames the request", { headers: { "Transfer-Encoding": "chunked" } }],
      ["a connection's header", { headers: { "X-Ok": "1", connection: "close" } }],
      ["empty event type", { eventTypes: [""] }],
      ["malformed senderId", { senderId: "sender-1" }]
    ]
    for (const [what, fields] of invalid) {
      const response = await running.client.post(path(tenantId), {
        name: "bad",
        variant: variant("https://example.com/hook"),
        ...fields
      })
      expect(response.status, what).toBe(400)
      expectError(response, 400, "invalid_request")
    }
    const list = await running.client.get(path(tenantId))
    expect(list.body.items).toEqual([])
  })

  it("answers 404 for an unknown senderId and an unknown tenant", async () => {
    const { tenantId } = await seedTenant(running.client)
    const unknownSender = await running.client.post(path(tenantId), {
      name: "x",
      senderId: "snd_00000000000000000000000000",
      variant: { type: "http_endpoint", url: nowhere() }
    })
    expectError(unknownSender, 404, "not_found")
    const unknownTenant = await running.client.post(path("ten_00000000000000000000000000"), {
      name: "x",
      variant: { type: "http_endpoint", url: nowhere() }
    })
    expectError(unknownTenant, 404, "not_found")
    expect((await running.client.get(path(tenantId))).body.items).toEqual([])
  })
})

describe("GET /v1/tenants/:tenantId/destinations", () => {
  it("pages in both orders with limit, cursor, hasMore and nextCursor", async () => {
    const { tenantId } = await seedTenant(running.client)
    const created: Array<string> = []
    for (let i = 0; i < 7; i++) created.push((await createDestination(running.client, tenantId, { name: `d${i}` })).id)

    const defaultPage = await running.client.get(path(tenantId))
    expect(defaultPage.status).toBe(200)
    expect(defaultPage.body).toMatchObject({ hasMore: false, nextCursor: null })
    expect(ids(defaultPage.body.items)).toEqual([...created].reverse()) // newest first by default

    const first = await running.client.get(`${path(tenantId)}?limit=3&order=asc`)
    expect(first.body.hasMore).toBe(true)
    expect(first.body.nextCursor).toEqual(expect.any(String))
    expect(ids(first.body.items)).toEqual(created.slice(0, 3))

    const asc = await walk(running.client, path(tenantId), { limit: 3, order: "asc" })
    expect(ids(asc)).toEqual(created)
    const desc = await walk(running.client, path(tenantId), { limit: 2, order: "desc" })
    expect(ids(desc)).toEqual([...created].reverse())
    const exact = await walk(running.client, path(tenantId), { limit: 7, order: "asc" })
    expect(ids(exact)).toEqual(created)
    const one = await walk(running.client, path(tenantId), { limit: 1, order: "asc" })
    expect(ids(one)).toEqual(created)

    const last = await running.client.get(`${path(tenantId)}?limit=200&order=asc`)
    expect(last.body).toMatchObject({ hasMore: false, nextCursor: null })
    expect(last.body.items).toHaveLength(7)
  })

  it("walks every row once while other rows are inserted between page reads", async () => {
    const { tenantId } = await seedTenant(running.client)
    const original: Array<string> = []
    for (let i = 0; i < 12; i++) original.push((await createDestination(running.client, tenantId, { name: `o${i}` })).id)

    const insertedDuringDesc: Array<string> = []
    const desc = await walk(running.client, path(tenantId), {
      limit: 5,
      order: "desc",
      between: async () => {
        insertedDuringDesc.push((await createDestination(running.client, tenantId, { name: "new" })).id)
      }
    })
    // Newer rows sort before the cursor: the walk sees exactly the rows that existed when it began.
    expect(ids(desc)).toEqual([...original].reverse())

    const before = [...original, ...insertedDuringDesc]
    const insertedDuringAsc: Array<string> = []
    const asc = await walk(running.client, path(tenantId), {
      limit: 4,
      order: "asc",
      between: async () => {
        insertedDuringAsc.push((await createDestination(running.client, tenantId, { name: "new" })).id)
      }
    })
    // Newer rows land after the cursor: all old rows once, in order, and the new ones at the end.
    expect(insertedDuringAsc.length).toBeGreaterThan(3)
    expect(ids(asc)).toEqual([...before, ...insertedDuringAsc])
  })

  it("lists only the tenant's own destinations", async () => {
    const a = await seedTenant(running.client)
    const b = await seedTenant(running.client)
    const mine = await createDestination(running.client, a.tenantId)
    await createDestination(running.client, b.tenantId)
    expect(ids((await running.client.get(path(a.tenantId))).body.items)).toEqual([mine.id])
  })

  it("refuses bad page parameters with 400", async () => {
    const { tenantId } = await seedTenant(running.client)
    for (const query of ["limit=0", "limit=201", "limit=-1", "limit=abc", "limit=2.5", "order=up", "cursor=abc", "cursor=-1", "cursor=9999999999999999999"]) {
      expectError(await running.client.get(`${path(tenantId)}?${query}`), 400, "invalid_request")
    }
    expect((await running.client.get(`${path(tenantId)}?limit=200`)).status).toBe(200)
    expect((await running.client.get(`${path(tenantId)}?limit=1`)).status).toBe(200)
  })

  it("answers 404 for an unknown tenant and 400 for a malformed one", async () => {
    expectError(await running.client.get(path("ten_00000000000000000000000000")), 404, "not_found")
    expectError(await running.client.get(path("tenant-1")), 400, "invalid_request")
  })
})

describe("GET / PATCH / DELETE /v1/tenants/:tenantId/destinations/:destinationId", () => {
  it("answers 404 for another tenant's destination on get, update and delete, and leaves it alone", async () => {
    const owner = await seedTenant(running.client)
    const other = await seedTenant(running.client)
    const destination = await createDestination(running.client, owner.tenantId, { name: "mine" })

    expectError(await running.client.get(path(other.tenantId, destination.id)), 404, "not_found")
    expectError(await running.client.patch(path(other.tenantId, destination.id), { name: "stolen" }), 404, "not_found")
    expectError(await running.client.delete(path(other.tenantId, destination.id)), 404, "not_found")
    expectError(await running.client.get(path("ten_00000000000000000000000000", destination.id)), 404, "not_found")

    const still = await running.client.get(path(owner.tenantId, destination.id))
    expect(still.status).toBe(200)
    expect(still.body.name).toBe("mine")
  })

  it("answers 404 for an unknown id and 400 for a malformed one", async () => {
    const { tenantId } = await seedTenant(running.client)
    const unknown = "dst_00000000000000000000000000"
    expectError(await running.client.get(path(tenantId, unknown)), 404, "not_found")
    expectError(await running.client.patch(path(tenantId, unknown), { name: "x" }), 404, "not_found")
    expectError(await running.client.delete(path(tenantId, unknown)), 404, "not_found")
    expectError(await running.client.get(path(tenantId, "evt_00000000000000000000000000")), 400, "invalid_request")
    expectError(await running.client.patch(path(tenantId, "nope"), { name: "x" }), 400, "invalid_request")
    expectError(await running.client.delete(path(tenantId, "nope")), 400, "invalid_request")
  })

  it("updates only the given fields", async () => {
    const { tenantId, senderId } = await seedTenant(running.client)
    const created = await createDestination(running.client, tenantId, {
      senderId,
      name: "before",
      description: "keep me",
      eventTypes: ["a"],
      topics: ["t"],
      retry: { type: "linear", delaySeconds: 7, maxAttempts: 2 },
      headers: { "X-Keep": "1" },
      timeoutSeconds: 12,
      maxConcurrency: 4,
      rateLimitPerSecond: 9
    })

    const renamed = await running.client.patch(path(tenantId, created.id), { name: "after" })
    expect(renamed.status).toBe(200)
    const { name: _name, updatedAt: _updatedAt, ...unchanged } = created
    expect(renamed.body).toMatchObject({ ...unchanged, name: "after" })
    expect(Date.parse(renamed.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(created.updatedAt))

    const retimed = await running.client.patch(path(tenantId, created.id), {
      timeoutSeconds: 60,
      variant: { type: "http_endpoint", url: nowhere("moved"), method: "PATCH" },
      headers: { "X-New": "2" },
      description: null,
      topics: [],
      rateLimitPerSecond: null,
      senderId: null,
      retry: { type: "exponential", delaySeconds: 1, maxAttempts: 5 },
      maxConcurrency: 1
    })
    expect(retimed.status).toBe(200)
    expect(retimed.body).toMatchObject({
      name: "after",
      eventTypes: ["a"],
      timeoutSeconds: 60,
      variant: { url: nowhere("moved"), method: "PATCH" },
      webhook: { url: nowhere("moved"), signingSecret: created.webhook.signingSecret },
      headers: { "X-New": "2" },
      description: null,
      topics: [],
      rateLimitPerSecond: null,
      senderId: null,
      retry: { type: "exponential", delaySeconds: 1, maxAttempts: 5 },
      maxConcurrency: 1
    })
    expect(retimed.body.headers).not.toHaveProperty("X-Keep")

    const empty = await running.client.patch(path(tenantId, created.id), {})
    expect(empty.status).toBe(200)
    expect({ ...empty.body, updatedAt: null }).toEqual({ ...retimed.body, updatedAt: null })

    const fetched = await running.client.get(path(tenantId, created.id))
    expect(fetched.body).toEqual(empty.body)
  })

  it("validates updates like creates", async () => {
    const { tenantId } = await seedTenant(running.client)
    const destination = await createDestination(running.client, tenantId, { name: "valid" })
    for (const patch of [
      { timeoutSeconds: 0 },
      { timeoutSeconds: 301 },
      { variant: { type: "http_endpoint", url: "ftp://example.com" } },
      { variant: { type: "http_endpoint", url: "https://a:b@example.com" } },
      { variant: { type: "http_endpoint", url: "https://example.com", method: "TRACE" } },
      { name: "" },
      { active: "yes" }
    ]) {
      expectError(await running.client.patch(path(tenantId, destination.id), patch), 400, "invalid_request")
    }
    expectError(
      await running.client.patch(path(tenantId, destination.id), { senderId: "snd_00000000000000000000000000" }),
      404,
      "not_found"
    )
    const unchanged = await running.client.get(path(tenantId, destination.id))
    expect(unchanged.body).toEqual(destination)
  })

  it("treats eventTypes: null as all types", async () => {
    const { tenantId, senderId } = await seedTenant(running.client)
    const destination = await createDestination(running.client, tenantId, { eventTypes: ["only.this"] })
    const only = { onlyForDestinations: [destination.id] }
    expect((await publish(running.client, tenantId, senderId, { eventType: "other.type", ...only })).destinationCount).toBe(0)
    expect((await publish(running.client, tenantId, senderId, { eventType: "only.this", ...only })).destinationCount).toBe(1)

    const updated = await running.client.patch(path(tenantId, destination.id), { eventTypes: null })
    expect(updated.status).toBe(200)
    expect(updated.body.eventTypes).toBeNull()
    expect((await publish(running.client, tenantId, senderId, { eventType: "other.type", ...only })).destinationCount).toBe(1)

    const narrowed = await running.client.patch(path(tenantId, destination.id), { eventTypes: ["x.y"] })
    expect(narrowed.body.eventTypes).toEqual(["x.y"])
    expect((await publish(running.client, tenantId, senderId, { eventType: "other.type", ...only })).destinationCount).toBe(0)
  })

  it("deactivates and reactivates with active", async () => {
    const { tenantId, senderId } = await seedTenant(running.client)
    const destination = await createDestination(running.client, tenantId)
    const only = { onlyForDestinations: [destination.id] }

    const off = await running.client.patch(path(tenantId, destination.id), { active: false })
    expect(off.body).toMatchObject({ active: false, status: "disabled" })
    expect((await publish(running.client, tenantId, senderId, only)).destinationCount).toBe(0)

    const on = await running.client.patch(path(tenantId, destination.id), { active: true })
    expect(on.body).toMatchObject({ active: true, status: "active", disabledReason: null })
    expect((await publish(running.client, tenantId, senderId, only)).destinationCount).toBe(1)
  })

  it("deletes: then 404, absent from lists, and no new intents", async () => {
    const { tenantId, senderId } = await seedTenant(running.client)
    const kept = await createDestination(running.client, tenantId, { name: "kept" })
    const doomed = await createDestination(running.client, tenantId, { name: "doomed" })
    expect((await publish(running.client, tenantId, senderId)).destinationCount).toBe(2)
    // Its first attempt (to an address that does not resolve) over, so that the delete itself ends it (one
    // whose attempt is out as the delete commits is ended by that attempt's outcome: the store's tests).
    const doomedIntents = () => running.client.get(`/v1/tenants/${tenantId}/intents?destinationIds=${doomed.id}`)
    await eventually(async () => ((await doomedIntents()).body.items[0]?.status === "retrying" ? true : undefined), {
      timeoutMs: 30_000,
      what: "the first attempt to the doomed destination to fail"
    })

    const deleted = await running.client.delete(path(tenantId, doomed.id))
    expect(deleted.status).toBe(200)
    expect(deleted.body).toEqual({ id: doomed.id, deleted: true })

    expectError(await running.client.get(path(tenantId, doomed.id)), 404, "not_found")
    expectError(await running.client.patch(path(tenantId, doomed.id), { name: "zombie" }), 404, "not_found")
    expectError(await running.client.delete(path(tenantId, doomed.id)), 404, "not_found")
    expect(ids((await running.client.get(path(tenantId))).body.items)).toEqual([kept.id])
    expect(ids(await walk(running.client, path(tenantId), { limit: 1, order: "asc" }))).toEqual([kept.id])

    const after = await publish(running.client, tenantId, senderId)
    expect(after.destinationCount).toBe(1)
    const intents = await running.client.get(`/v1/tenants/${tenantId}/intents?eventIds=${after.id}`)
    expect(ids(intents.body.items.map((i: any) => i.destination))).toEqual([kept.id])
    const named = await publish(running.client, tenantId, senderId, { onlyForDestinations: [doomed.id] })
    expect(named.destinationCount).toBe(0)
    const left = await doomedIntents()
    expect(left.body.items).toHaveLength(1) // only the one from before the delete, ended by it
    expect(left.body.items[0]).toMatchObject({ status: "failed", error: { code: "destination_deleted" } })
  })
})
