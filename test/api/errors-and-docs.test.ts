import { request as httpRequest } from "node:http"
import { connect } from "node:net"
import { describe, expect, it } from "vitest"
import { request, seedTenant } from "../support/http"
import { useTestServer } from "../support/server"
import { createDestination, expectError, publish } from "./helpers"

const running = useTestServer()

const MiB = 1024 * 1024

const eventCount = async (tenantId: string) =>
  (await running.client.get(`/v1/tenants/${tenantId}/events?limit=200`)).body.items.length as number

/** Sends a body with chunked transfer encoding (no Content-Length); resolves with the status or the socket error. */
const sendChunked = (url: string, body: string) =>
  new Promise<{ status?: number; body?: string; error?: string }>((resolve) => {
    const req = httpRequest(url, {
      method: "POST",
      headers: { "content-type": "application/json", "transfer-encoding": "chunked" }
    }, (res) => {
      let text = ""
      res.on("data", (chunk) => (text += chunk))
      res.on("end", () => resolve({ status: res.statusCode, body: text }))
      res.on("error", (error) => resolve({ status: res.statusCode, error: String(error) }))
    })
    req.on("error", (error) => resolve({ error: String(error) }))
    for (let i = 0; i < body.length; i += 64 * 1024) req.write(body.slice(i, i + 64 * 1024))
    req.end()
  })

describe("request errors", () => {
  it("answers malformed JSON with 400 invalid_json on every JSON endpoint", async () => {
    const { tenantId } = await seedTenant(running.client)
    const destination = await createDestination(running.client, tenantId)
    const targets: Array<[string, string]> = [
      ["PUT", "/v1/tenants"],
      ["PUT", "/v1/senders"],
      ["POST", `/v1/tenants/${tenantId}/destinations`],
      ["PATCH", `/v1/tenants/${tenantId}/destinations/${destination.id}`],
      ["POST", `/v1/tenants/${tenantId}/events`],
      ["POST", `/v1/tenants/${tenantId}/events/batch`]
    ]
    for (const [method, path] of targets) {
      for (const body of ["{not json", "{\"a\":", "[1,2", "'single'"]) {
        const response = await request(running.server.url, method, path, body, { "content-type": "application/json" })
        expect(response.status, `${method} ${path} ${body}`).toBe(400)
        expectError(response, 400, "invalid_json")
        expect(response.body._tag).toBe("BadRequest")
      }
    }
    expect(await eventCount(tenantId)).toBe(0)
  })

  it("answers well-formed JSON of the wrong shape with 400 invalid_request and details", async () => {
    const { tenantId } = await seedTenant(running.client)
    for (const body of [[], "\"string\"", "null", "42", { unexpected: true }]) {
      const response = await running.client.post(`/v1/tenants/${tenantId}/events`, body)
      expectError(response, 400, "invalid_request")
      expect(response.body.details).toBeDefined()
    }
    const missing = await running.client.post(`/v1/tenants/${tenantId}/events`, { eventType: "x" })
    expectError(missing, 400, "invalid_request")
    expect(JSON.stringify(missing.body.details)).toContain("senderId")
  })

  it("answers bodies over 1 MiB with 413 payload_too_large and stores nothing", async () => {
    const { tenantId, senderId } = await seedTenant(running.client)
    const big = JSON.stringify({ senderId, eventType: "big", payloadJson: JSON.stringify({ blob: "x".repeat(MiB) }) })
    expect(Buffer.byteLength(big)).toBeGreaterThan(MiB)
    const response = await running.client.post(`/v1/tenants/${tenantId}/events`, big)
    expectError(response, 413, "payload_too_large")
    expect(response.body._tag).toBe("PayloadTooLarge")

    const batch = JSON.stringify({
      events: Array.from({ length: 20 }, () => ({ senderId, eventType: "big", payload: { blob: "y".repeat(60_000) } }))
    })
    expect(Buffer.byteLength(batch)).toBeGreaterThan(MiB)
    expectError(await running.client.post(`/v1/tenants/${tenantId}/events/batch`, batch), 413, "payload_too_large")
    expectError(
      await running.client.post(`/v1/tenants/${tenantId}/destinations`, { name: "x".repeat(MiB + 1), variant: {} }),
      413,
      "payload_too_large"
    )

    // Just under the limit is accepted.
    const fits = JSON.stringify({ senderId, eventType: "fits", payload: { blob: "z".repeat(MiB - 200) } })
    expect(Buffer.byteLength(fits)).toBeLessThanOrEqual(MiB)
    expect((await running.client.post(`/v1/tenants/${tenantId}/events`, fits)).status).toBe(201)

    const stored = (await running.client.get(`/v1/tenants/${tenantId}/events`)).body.items
    expect(stored.map((event: any) => event.type)).toEqual(["fits"])
  })

  it("answers an oversize body sent without Content-Length with 413, stores nothing and keeps serving", async () => {
    const { tenantId, senderId } = await seedTenant(running.client)
    for (const size of [MiB + 100, 4 * MiB]) {
      const big = JSON.stringify({ senderId, eventType: "chunked", payloadJson: "x".repeat(size) })
      const result = await sendChunked(`${running.server.url}/v1/tenants/${tenantId}/events`, big)
      expect(result.error).toBeUndefined()
      expect(result.status).toBe(413)
      expect(JSON.parse(result.body!)).toMatchObject({ code: "payload_too_large" })
    }
    expect(await eventCount(tenantId)).toBe(0)
    expect((await running.client.get("/health")).status).toBe(200)

    const small = await sendChunked(`${running.server.url}/v1/tenants/${tenantId}/events`, JSON.stringify({ senderId, eventType: "ok" }))
    expect(small.status).toBe(201)
  })

  it("closes the connection of a chunked body that keeps coming after its 413", async () => {
    const { tenantId } = await seedTenant(running.client)
    const url = new URL(running.server.url)
    const outcome = await new Promise<{ answer: string; closedAfterMs: number }>((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname)
      const chunk = `10000\r\n${"x".repeat(0x10000)}\r\n`
      let answer = ""
      let answeredAt = 0
      const started = Date.now()
      const sending = setInterval(() => {
        // bounded: a server that never closes fails the test after 10 s instead of hanging it
        if (Date.now() - started > 10_000) return socket.destroy(new Error("still open after 10 s"))
        if (socket.writable) socket.write(chunk)
      }, 5)
      socket.on("data", (data: Buffer) => {
        answer += data.toString()
        answeredAt ||= Date.now()
      })
      socket.on("error", () => {}) // the reset that ends the linger
      socket.on("close", () => {
        clearInterval(sending)
        if (answeredAt === 0) reject(new Error("closed without an answer"))
        else resolve({ answer, closedAfterMs: Date.now() - answeredAt })
      })
      socket.write(
        `POST /v1/tenants/${tenantId}/events HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n` +
          "transfer-encoding: chunked\r\n\r\n"
      )
    })
    expect(outcome.answer).toMatch(/^HTTP\/1\.1 413 /)
    expect(outcome.answer).toContain("payload_too_large")
    expect(outcome.closedAfterMs).toBeLessThan(5_000)
    expect((await running.client.get("/health")).status).toBe(200)
  }, 30_000)

  it("answers unknown routes with a JSON 404", async () => {
    for (const [method, path] of [
      ["GET", "/nope"],
      ["GET", "/v1"],
      ["GET", "/v2/tenants"],
      ["DELETE", "/v1/tenants"],
      ["POST", "/v1/senders/snd_00000000000000000000000000"],
      ["GET", "/v1/tenants/ten_00000000000000000000000000/unknown"]
    ]) {
      const response = await request(running.server.url, method, path)
      expect(response.status, `${method} ${path}`).toBe(404)
      expect(response.headers.get("content-type")).toContain("application/json")
      expectError(response, 404, "not_found")
    }
  })

  it("answers every tenant-scoped read with 404 for another tenant's ids", async () => {
    const owner = await seedTenant(running.client)
    const stranger = await seedTenant(running.client)
    const destination = await createDestination(running.client, owner.tenantId)
    const event = await publish(running.client, owner.tenantId, owner.senderId)
    const [intent] = (await running.client.get(`/v1/tenants/${owner.tenantId}/intents?eventIds=${event.id}`)).body.items
    expect(intent).toBeDefined()

    const t = `/v1/tenants/${stranger.tenantId}`
    for (const [method, path] of [
      ["GET", `${t}/destinations/${destination.id}`],
      ["PATCH", `${t}/destinations/${destination.id}`],
      ["DELETE", `${t}/destinations/${destination.id}`],
      ["GET", `${t}/events/${event.id}`],
      ["GET", `${t}/intents/${intent.id}`],
      ["POST", `${t}/intents/${intent.id}/retry`]
    ]) {
      const response = await request(running.server.url, method, path, method === "GET" || method === "DELETE" ? undefined : {})
      expectError(response, 404, "not_found")
    }
    // Lists filtered by the owner's ids come back empty for the stranger.
    expect((await running.client.get(`${t}/intents?eventIds=${event.id}`)).body.items).toEqual([])
    expect((await running.client.get(`${t}/attempts?eventIds=${event.id}`)).body.items).toEqual([])
    expect((await running.client.get(`${t}/destinations`)).body.items).toEqual([])
    // And the stranger cannot publish to the owner's destination.
    const sneaky = await publish(running.client, stranger.tenantId, owner.senderId, { onlyForDestinations: [destination.id] })
    expect(sneaky.destinationCount).toBe(0)
  })

  it("never answers a client's mistake with a 5xx", async () => {
    const { tenantId, senderId } = await seedTenant(running.client)
    const destination = await createDestination(running.client, tenantId)
    const t = `/v1/tenants/${tenantId}`
    const deep = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`
    const attempts: Array<[string, string, unknown?]> = [
      ["PUT", "/v1/tenants", { identifier: "nul-name", name: "\u0000" }],
      ["PUT", "/v1/senders", { identifier: "nul-name", name: "x\u0000" }],
      ["POST", `${t}/destinations`, { name: "n\u0000", variant: { type: "http_endpoint", url: "https://example.invalid/" } }],
      ["POST", `${t}/destinations`, { name: "n", variant: { type: "http_endpoint", url: "https://example.invalid/\u0000" } }],
      ["POST", `${t}/destinations`, { name: "n", topics: ["\u0000"], variant: { type: "http_endpoint", url: "https://example.invalid/" } }],
      ["PATCH", `${t}/destinations/${destination.id}`, { description: "\u0000" }],
      ["PATCH", `${t}/destinations/${destination.id}`, { eventTypes: ["a\u0000"] }],
      ["POST", `${t}/events`, { senderId, eventType: "\u0000" }],
      ["POST", `${t}/events`, { senderId, eventType: "x", topics: ["\u0000"] }],
      ["POST", `${t}/events`, { senderId, eventType: "x", idempotencyKey: "\u0000" }],
      ["POST", `${t}/events`, { senderId, eventType: "x", payload: { "\u0000": 1 } }],
      ["POST", `${t}/events`, { senderId, eventType: "x", payloadJson: "\"\\u0000\"" }],
      ["POST", `${t}/events`, `{"senderId":"${senderId}","eventType":"x","payload":${deep(50_000)}}`],
      ["POST", `${t}/events`, { senderId, eventType: "x", payloadJson: deep(50_000) }],
      ["POST", `${t}/events`, deep(50_000)],
      ["POST", `${t}/events/batch`, `{"events":[{"senderId":"${senderId}","eventType":"x","payload":${deep(50_000)}}]}`],
      ["PUT", "/v1/tenants", `{"identifier":${deep(50_000)},"name":"x"}`],
      ["PATCH", `${t}/destinations/${destination.id}`, `{"headers":${deep(50_000)}}`],
      ["POST", `${t}/events/batch`, { events: [{ senderId, eventType: "x" }, { senderId, eventType: "\u0000" }] }],
      ["GET", `${t}/events?eventTypes=%00`],
      ["GET", `${t}/events?topics=%00`],
      ["GET", `${t}/events?cursor=9999999999999999999`],
      ["GET", `${t}/intents?cursor=9223372036854775808`],
      ["GET", `${t}/attempts?cursor=9999999999999999999`],
      ["GET", `${t}/destinations?cursor=9999999999999999999`],
      ["GET", `${t}/events?createdAfter=99999-01-01T00:00:00Z`],
      ["GET", `${t}/events?limit=1e3`],
      ["GET", `/v1/tenants/${"ten_" + "a".repeat(5000)}`],
      ["GET", `/v1/tenants/%E0%A4%A`],
      ["POST", `${t}/events`, "\u0000"]
    ]
    for (const [method, path, body] of attempts) {
      const response = await request(running.server.url, method, path, body)
      expect(response.status, `${method} ${path} ${JSON.stringify(body)} → ${JSON.stringify(response.body)}`).toBeLessThan(500)
      expect(response.status, `${method} ${path} ${JSON.stringify(body)}`).toBeGreaterThanOrEqual(400)
    }
    expect((await running.client.get("/ready")).status).toBe(200)
  })
})

describe("health and docs", () => {
  it("GET /health", async () => {
    const response = await running.client.get("/health")
    expect(response.status).toBe(200)
    expect(response.body).toEqual({ status: "ok" })
  })

  it("GET /ready checks the database", async () => {
    const response = await running.client.get("/ready")
    expect(response.status).toBe(200)
    expect(response.body).toEqual({ status: "ready", database: "up" })
  })

  it("GET /openapi.json describes every endpoint", async () => {
    const response = await running.client.get("/openapi.json")
    expect(response.status).toBe(200)
    expect(response.headers.get("content-type")).toContain("application/json")
    const spec = response.body
    expect(spec.openapi).toMatch(/^3\./)
    expect(spec.info.title).toBe("Signal")
    const expected: Record<string, Array<string>> = {
      "/v1/tenants": ["put"],
      "/v1/tenants/{tenantId}": ["get"],
      "/v1/senders": ["put"],
      "/v1/senders/{senderId}": ["get"],
      "/v1/tenants/{tenantId}/destinations": ["post", "get"],
      "/v1/tenants/{tenantId}/destinations/{destinationId}": ["get", "patch", "delete"],
      "/v1/tenants/{tenantId}/events": ["post", "get"],
      "/v1/tenants/{tenantId}/events/batch": ["post"],
      "/v1/tenants/{tenantId}/events/{eventId}": ["get"],
      "/v1/tenants/{tenantId}/intents": ["get"],
      "/v1/tenants/{tenantId}/intents/{intentId}": ["get"],
      "/v1/tenants/{tenantId}/intents/{intentId}/retry": ["post"],
      "/v1/tenants/{tenantId}/attempts": ["get"],
      "/v1/tenants/{tenantId}/attempts/{attemptId}": ["get"],
      "/health": ["get"],
      "/ready": ["get"]
    }
    for (const [path, methods] of Object.entries(expected)) {
      expect(spec.paths, path).toHaveProperty([path])
      for (const method of methods) expect(spec.paths[path], `${method} ${path}`).toHaveProperty(method)
    }
    expect(spec.paths["/v1/tenants/{tenantId}/events"].post.responses).toHaveProperty("201")
    expect(spec.paths["/v1/tenants/{tenantId}/events"].post.responses).toHaveProperty("400")
    expect(spec.paths["/v1/tenants/{tenantId}/intents/{intentId}/retry"].post.responses).toHaveProperty("202")
  })

  it("GET /docs serves an HTML page", async () => {
    const response = await fetch(`${running.server.url}/docs`)
    expect(response.status).toBe(200)
    expect(response.headers.get("content-type")).toContain("text/html")
    const html = await response.text()
    expect(html).toMatch(/<html/i)
    expect(html).toContain("Signal")
  })
})
