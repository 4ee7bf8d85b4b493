import { Webhook } from "standardwebhooks"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { seedTenant } from "../support/http"
import { type Receiver, startReceiver } from "../support/receiver"
import { useTestServer } from "../support/server"
import { createDestination, expectError } from "./helpers"

const running = useTestServer()
let accepting: Receiver
let failing: Receiver

beforeAll(async () => {
  accepting = await startReceiver((_request, _index, response) => {
    response.writeHead(200, { "content-type": "application/json", "x-receiver": "yes" })
    response.end(JSON.stringify({ ok: true }))
  })
  failing = await startReceiver((_request, _index, response) => {
    response.writeHead(503, { "content-type": "text/plain" })
    response.end("down for maintenance")
  })
})

afterAll(async () => {
  await accepting?.close()
  await failing?.close()
})

const testPath = (tenantId: string, destinationId: string) =>
  `/v1/tenants/${tenantId}/destinations/${destinationId}/test`

describe("POST /v1/tenants/:tenantId/destinations/:destinationId/test", () => {
  it("sends a signed sample event at once and answers the attempt", async () => {
    const { tenantId } = await seedTenant(running.client)
    const destination = await createDestination(running.client, tenantId, { headers: { "x-team": "payments" } }, accepting.url)
    const before = accepting.requests.length

    const response = await running.client.post(testPath(tenantId, destination.id))
    expect(response.status, JSON.stringify(response.body)).toBe(200)
    const result = response.body
    expect(result).toMatchObject({
      destinationId: destination.id,
      eventType: "signal.test",
      url: accepting.url,
      status: "succeeded",
      error: null,
      response: { statusCode: 200, body: JSON.stringify({ ok: true }) }
    })
    expect(result.response.headers["x-receiver"]).toBe("yes")
    expect(result.durationMs).toBeGreaterThanOrEqual(0)
    expect(Date.parse(result.completedAt)).toBeGreaterThanOrEqual(Date.parse(result.startedAt))

    expect(accepting.requests.length).toBe(before + 1)
    const received = accepting.requests[before]
    expect(received.headers["webhook-id"]).toBe(result.webhookId)
    expect(received.headers["x-signal-test"]).toBe("true")
    expect(received.headers["x-team"]).toBe("payments")
    // Verified with the official Standard Webhooks library, as a receiver would.
    const verified = new Webhook(destination.webhook.signingSecret).verify(received.body, {
      "webhook-id": String(received.headers["webhook-id"]),
      "webhook-timestamp": String(received.headers["webhook-timestamp"]),
      "webhook-signature": String(received.headers["webhook-signature"])
    }) as any
    expect(verified).toMatchObject({ id: result.eventId, type: "signal.test", tenantId, payload: { test: true } })

    // Nothing is stored: no attempt, no event.
    expect((await running.client.get(`/v1/tenants/${tenantId}/attempts`)).body.items).toEqual([])
    expect((await running.client.get(`/v1/tenants/${tenantId}/events`)).body.items).toEqual([])
  })

  it("sends the chosen type and payload, and to a disabled destination", async () => {
    const { tenantId } = await seedTenant(running.client)
    const destination = await createDestination(running.client, tenantId, { active: false }, accepting.url)
    const response = await running.client.post(testPath(tenantId, destination.id), {
      eventType: "invoice.paid",
      payload: { amount: 42 }
    })
    expect(response.status, JSON.stringify(response.body)).toBe(200)
    expect(response.body.status).toBe("succeeded")
    const received = accepting.requests.find((r) => r.headers["webhook-id"] === response.body.webhookId)!
    expect(JSON.parse(received.body)).toMatchObject({ type: "invoice.paid", payload: { amount: 42 } })
  })

  it("answers a receiver's failure as a failed attempt with its response", async () => {
    const { tenantId } = await seedTenant(running.client)
    const destination = await createDestination(running.client, tenantId, {}, failing.url)
    const response = await running.client.post(testPath(tenantId, destination.id))
    expect(response.status).toBe(200)
    expect(response.body).toMatchObject({
      status: "failed",
      error: { code: "http_status" },
      response: { statusCode: 503, body: "down for maintenance" }
    })
  })

  it("answers an address the SSRF guard refuses as a failed attempt", async () => {
    const { tenantId } = await seedTenant(running.client)
    const destination = await createDestination(running.client, tenantId, {}, "http://169.254.169.254/latest/meta-data")
    const response = await running.client.post(testPath(tenantId, destination.id))
    expect(response.status).toBe(200)
    expect(response.body).toMatchObject({ status: "failed", response: null, error: { code: "blocked_address" } })
  })

  it("refuses bad input with 400 and unknown destinations with 404", async () => {
    const { tenantId } = await seedTenant(running.client)
    const destination = await createDestination(running.client, tenantId, {}, accepting.url)
    expectError(await running.client.post(testPath(tenantId, destination.id), { eventType: "" }), 400, "invalid_request")
    expectError(await running.client.post(testPath(tenantId, destination.id), { eventType: 7 }), 400, "invalid_request")
    expectError(await running.client.post(testPath(tenantId, destination.id), "{not json"), 400, "invalid_json")
    expectError(await running.client.post(testPath(tenantId, "not-an-id")), 400, "invalid_request")
    expectError(await running.client.post(testPath(tenantId, "dst_0000000000000000000000")), 404, "not_found")
    const other = await seedTenant(running.client)
    expectError(await running.client.post(testPath(other.tenantId, destination.id)), 404, "not_found")
    await running.client.delete(`/v1/tenants/${tenantId}/destinations/${destination.id}`)
    expectError(await running.client.post(testPath(tenantId, destination.id)), 404, "not_found")
  })
})

describe("OpenAPI", () => {
  it("describes test sends, recovery, replay, retention and wildcard patterns", async () => {
    const response = await running.client.get("/openapi.json")
    expect(response.status).toBe(200)
    const paths = response.body.paths
    const operation = (path: string, method: string) => paths[path]?.[method]
    for (const [path, method] of [
      ["/v1/tenants/{tenantId}/destinations/{destinationId}/test", "post"],
      ["/v1/tenants/{tenantId}/destinations/{destinationId}/recover", "post"],
      ["/v1/tenants/{tenantId}/recoveries/{jobId}", "get"],
      ["/v1/tenants/{tenantId}/events/{eventId}/replay", "post"],
      ["/v1/tenants/{tenantId}/retention", "get"],
      ["/v1/tenants/{tenantId}/retention", "put"]
    ]) {
      expect(operation(path, method), `${method} ${path}`).toBeDefined()
      expect(typeof operation(path, method).summary, `${method} ${path}`).toBe("string")
    }
    expect(operation("/v1/tenants/{tenantId}/destinations/{destinationId}/recover", "post").description)
      .toContain("invalid_time_range")
    expect(JSON.stringify(response.body)).toContain("a trailing `*`")
  })
})
