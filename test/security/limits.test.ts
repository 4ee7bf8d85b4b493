/**
 * Every input limit answers a clear 4xx with a stable code: body size (413), request headers
 * (count and total size: 431 with a code), requests Node cannot parse (400 with a code), non-JSON bodies (415), batch size, list
 * limit, payload depth and custom headers (400).
 */
import { request as httpRequest } from "node:http"
import { connect } from "node:net"
import { describe, expect, it } from "vitest"
import { seedTenant } from "../support/http"
import { useTestServer } from "../support/server"

const running = useTestServer()

/** A raw request, so header counts and sizes are exactly what the test says. */
const raw = (headers: Record<string, string>, path = "/health") =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    const url = new URL(running.server.url)
    const req = httpRequest({ host: url.hostname, port: url.port, path, headers }, (res) => {
      let body = ""
      res.on("data", (chunk: Buffer) => (body += chunk.toString()))
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on("error", reject)
    req.end()
  })

/** Bytes written as they are on a fresh connection; resolves with everything read until it closes. */
const rawBytes = (bytes: string) =>
  new Promise<string>((resolve, reject) => {
    const url = new URL(running.server.url)
    const socket = connect(Number(url.port), url.hostname, () => socket.end(bytes))
    let answer = ""
    socket.on("data", (chunk: Buffer) => (answer += chunk.toString()))
    socket.on("close", () => resolve(answer))
    socket.on("error", reject)
  })

/** Status line and JSON body of a raw answer. */
const parsed = (answer: string) => ({
  status: Number(answer.slice(9, 12)),
  body: JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4)),
  contentType: /content-type: ([^\r]+)/i.exec(answer)?.[1]
})

describe("input limits", () => {
  it("answers requests Node cannot parse in JSON with a stable code, and keeps serving", async () => {
    for (const bytes of [
      "GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
      "GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n",
      "POST /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n\r\n",
      "GET /he alth HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /health HTTP/1.1\r\nX-Key: a\u0001b\r\n\r\n"
    ]) {
      const answer = parsed(await rawBytes(bytes))
      expect(answer.status, bytes).toBe(400)
      expect(answer.contentType).toBe("application/json")
      expect(answer.body).toEqual({ _tag: "BadRequest", code: "invalid_http", message: "the request is not valid HTTP/1.1" })
    }
    const oversize = parsed(await rawBytes(`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`))
    expect(oversize.status).toBe(431)
    expect(oversize.body).toMatchObject({ code: "headers_too_large" })
    expect((await raw({})).status).toBe(200)
  })

  it("answers 431 to more than 100 request headers, and to a header block over Node's size limit", async () => {
    const many = await raw(Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`x-extra-${i}`, "1"])))
    expect(many.status).toBe(431)
    expect(JSON.parse(many.body)).toMatchObject({ code: "headers_too_large" })
    expect((await raw(Object.fromEntries(Array.from({ length: 90 }, (_, i) => [`x-extra-${i}`, "1"])))).status).toBe(200)
    const big = await raw({ "x-big": "a".repeat(20_000) })
    expect(big.status).toBe(431)
    expect(JSON.parse(big.body)).toMatchObject({ code: "headers_too_large" })
  })

  it("answers 413 above the body limit, 415 to bodies that are not JSON", async () => {
    const { tenantId, senderId } = await seedTenant(running.client)
    const events = `/v1/tenants/${tenantId}/events`
    const tooLarge = await running.client.post(events, { senderId, eventType: "x", payload: { blob: "x".repeat(1_100_000) } })
    expect(tooLarge.status).toBe(413)
    expect(tooLarge.body.code).toBe("payload_too_large")
    for (const contentType of ["text/plain", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded"]) {
      const response = await running.client.post(events, "a=1", { "content-type": contentType })
      expect(response.status, contentType).toBe(415)
      expect(response.body.code).toBe("unsupported_media_type")
    }
    const json = await running.client.post(events, { senderId, eventType: "x", payload: {} }, {
      "content-type": "application/json; charset=utf-8"
    })
    expect(json.status).toBe(201)
  })

  it("answers 400 to too many events, a list limit over 200, deep payloads and too many custom headers", async () => {
    const { tenantId, senderId } = await seedTenant(running.client)
    const event = { senderId, eventType: "x", payload: {} }
    const batch = await running.client.post(`/v1/tenants/${tenantId}/events/batch`, { events: Array.from({ length: 1001 }, () => event) })
    expect(batch.status).toBe(400)
    expect((await running.client.get(`/v1/tenants/${tenantId}/events?limit=201`)).status).toBe(400)
    let deep: unknown = 1
    for (let i = 0; i < 40; i++) deep = { a: deep }
    const deepEvent = await running.client.post(`/v1/tenants/${tenantId}/events`, { ...event, payload: deep })
    expect(deepEvent.status).toBe(400)
    const headers = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`x-h-${i}`, "1"]))
    const manyHeaders = await running.client.post(`/v1/tenants/${tenantId}/events`, { ...event, headers })
    expect(manyHeaders.status).toBe(400)
    for (const response of [batch, deepEvent, manyHeaders]) expect(response.body.code).toBe("invalid_request")
  })
})
