import { describe, expect, it } from "vitest"
import { eventually, request, seedTenant } from "../support/http"
import { useTestServer } from "../support/server"
import { createDestination, expectError, publish } from "./helpers"

const running = useTestServer()

/** A JSON body as a client that escapes every non-ASCII character sends it: lone surrogates as `\ud800`. */
const post = (path: string, body: unknown) =>
  request(running.server.url, "POST", path, JSON.stringify(body), { "content-type": "application/json" })

const LONE = "\ud800"

describe("text that is not valid Unicode", () => {
  it("refuses a lone surrogate in any field of a publish with 400, naming the field", async () => {
    const { tenantId, senderId } = await seedTenant(running.client)
    const events = `/v1/tenants/${tenantId}/events`
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ idempotencyKey: `key-${LONE}` }, "idempotencyKey"],
      [{ topics: ["ok", `a${LONE}b`] }, "topics[1]"],
      [{ eventType: `type${LONE}` }, "eventType"],
      [{ payload: { nested: [{ text: `\udfff` }] } }, "payload.nested[0].text"],
      [{ headers: { "x-note": `v${LONE}` } }, "headers.x-note"]
    ]
    for (const [fields, field] of cases) {
      const response = await post(events, { senderId, eventType: "x", ...fields })
      expectError(response, 400, "invalid_request")
      expect(response.body.message).toBe(`${field} must be valid Unicode (it contains half of a UTF-16 surrogate pair)`)
      expect(response.body.details).toHaveLength(1)
    }
    // inside payloadJson the escape is JSON within JSON: found once the payload is read
    const inner = await post(events, { senderId, eventType: "x", payloadJson: JSON.stringify({ text: LONE }) })
    expectError(inner, 400, "invalid_payload")
    expect(inner.body.message).toContain("valid Unicode")
    // a whole pair, escaped or not, and an escaped backslash before `ud800` are fine
    const fine = await publish(running.client, tenantId, senderId, {
      eventType: "emoji 😀",
      topics: ["\ud83d\ude00"],
      idempotencyKey: "\\ud800",
      payload: undefined,
      payloadJson: JSON.stringify({ text: "😀 \\ud800" })
    })
    const stored = (await running.client.get(`${events}/${fine.id}`)).body
    expect(stored.type).toBe("emoji 😀")
    expect(stored.topics).toEqual(["😀"])
    expect(stored.idempotencyKey).toBe("\\ud800")
    expect(stored.payload).toEqual({ text: "😀 \\ud800" })
    expect((await running.client.get(`${events}?limit=200`)).body.items).toHaveLength(1)
  })

  it("answers every other publish committed alongside one that carries a lone surrogate", async () => {
    const { tenantId, senderId } = await seedTenant(running.client)
    const responses = await Promise.all(Array.from({ length: 40 }, (_, i) =>
      post(`/v1/tenants/${tenantId}/events`, {
        senderId,
        eventType: "together",
        idempotencyKey: i % 10 === 3 ? `bad-${i}-${LONE}` : `good-${i}`,
        payload: { i }
      })))
    for (const [i, response] of responses.entries()) {
      if (i % 10 === 3) expectError(response, 400, "invalid_request")
      else expect(response.status, JSON.stringify(response.body)).toBe(201)
    }
    // the same keys again: each answers with its stored event
    const again = await Promise.all(Array.from({ length: 40 }, (_, i) =>
      i % 10 === 3 ? undefined : publish(running.client, tenantId, senderId, { idempotencyKey: `good-${i}` })))
    for (const [i, event] of again.entries()) if (event !== undefined) expect(event.id).toBe(responses[i].body.id)
    expect((await running.client.get(`/v1/tenants/${tenantId}/events?limit=200`)).body.items).toHaveLength(36)
  })

  it("refuses a lone surrogate in a batch, a destination and a tenant alike", async () => {
    const { tenantId, senderId } = await seedTenant(running.client)
    const batch = await post(`/v1/tenants/${tenantId}/events/batch`, {
      events: [{ senderId, eventType: "ok" }, { senderId, eventType: "x", topics: [LONE] }]
    })
    expectError(batch, 400, "invalid_request")
    expect(batch.body.details[0].path).toEqual(["events", 1, "topics", 0])
    const destination = await post(`/v1/tenants/${tenantId}/destinations`, {
      name: `hook ${LONE}`,
      variant: { type: "http_endpoint", url: "https://example.invalid/hook" }
    })
    expectError(destination, 400, "invalid_request")
    expect(destination.body.details[0].path).toEqual(["name"])
    const tenant = await request(running.server.url, "PUT", "/v1/tenants", JSON.stringify({ identifier: `t-${LONE}`, name: "t" }), {
      "content-type": "application/json"
    })
    expectError(tenant, 400, "invalid_request")
    expect((await running.client.get(`/v1/tenants/${tenantId}/events`)).body.items).toEqual([])
  })
})

describe("times outside years 1 to 9999", () => {
  it("refuses them with 400 wherever a request gives a time, and takes the last moment of 9999", async () => {
    const { tenantId } = await seedTenant(running.client)
    const destination = await createDestination(running.client, tenantId)
    const farOff = ["-004713-11-24T00:00:00Z", "-271821-04-20T00:00:00Z", "+275760-09-13T00:00:00Z", "+010000-01-01T00:00:00Z"]
    for (const time of farOff) {
      const at = encodeURIComponent(time)
      for (const path of [
        `/v1/tenants/${tenantId}/events?createdAfter=${at}`,
        `/v1/tenants/${tenantId}/events?createdBefore=${at}`,
        `/v1/tenants/${tenantId}/analytics?from=${at}`,
        `/v1/tenants/${tenantId}/destinations/${destination.id}/analytics?to=${at}`
      ]) {
        const response = await running.client.get(path)
        expectError(response, 400, "invalid_request")
        expect(response.body.message, path).toMatch(/must be between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z/)
      }
      const recover = await running.client.post(`/v1/tenants/${tenantId}/destinations/${destination.id}/recover`, {
        since: time
      })
      expectError(recover, 400, "invalid_request")
    }
    const last = encodeURIComponent("9999-12-31T23:59:59.999Z")
    const first = encodeURIComponent("0001-01-01T00:00:00Z")
    expect((await running.client.get(`/v1/tenants/${tenantId}/events?createdAfter=${first}&createdBefore=${last}`)).status)
      .toBe(200)
    const lastDay = encodeURIComponent("9999-12-31T00:00:00Z")
    expect((await running.client.get(`/v1/tenants/${tenantId}/analytics?from=${lastDay}&to=${last}`)).status).toBe(200)
    const window = await running.client.post(`/v1/tenants/${tenantId}/destinations/${destination.id}/recover`, {
      since: "9999-12-01T00:00:00Z",
      until: "9999-12-31T23:59:59.999Z"
    })
    expect(window.status, JSON.stringify(window.body)).toBe(202)
    // and the job runs to its end (nothing matched), not stuck on a time the database cannot hold
    const job = await eventually(async () => {
      const response = await running.client.get(`/v1/tenants/${tenantId}/recoveries/${window.body.id}`)
      return response.body.state === "done" ? response.body : undefined
    }, { timeoutMs: 60_000, what: "the recovery to finish" })
    expect(job.matched).toBe(0)
  }, 90_000)
})
