/**
 * The Promise client against a scripted HTTP server on 127.0.0.1: what goes over the wire, what
 * comes back (plain JSON equal to what the server sent) and how failures surface.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { createServer, type IncomingHttpHeaders, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { createSignalClient, SignalClientError } from "../src/index"

interface Seen {
  readonly method: string
  readonly url: string
  readonly headers: IncomingHttpHeaders
  readonly body: string
}

interface Reply {
  readonly status: number
  readonly body: unknown
}

let server: Server
let endpoint: string
const seen: Array<Seen> = []
let nextReply: Reply = { status: 200, body: {} }

const reply = (status: number, body: unknown) => {
  nextReply = { status, body }
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = ""
    req.setEncoding("utf8")
    req.on("data", (chunk) => (body += chunk))
    req.on("end", () => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body })
      const text = typeof nextReply.body === "string" ? nextReply.body : JSON.stringify(nextReply.body)
      res.writeHead(nextReply.status, { "content-type": typeof nextReply.body === "string" ? "text/plain" : "application/json" })
      res.end(text)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
})

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

const last = () => seen[seen.length - 1]

const tenantId = "ten_01jz0000000000000000000000"
const senderId = "snd_01jz0000000000000000000000"
const destinationId = "dst_01jz0000000000000000000000"
const eventId = "evt_01jz0000000000000000000000"
const intentId = "int_01jz0000000000000000000000"
const attemptId = "att_01jz0000000000000000000000"

const tenant = {
  id: tenantId,
  identifier: "my-app",
  name: "My Application",
  createdAt: "2025-01-02T03:04:05.678Z",
  updatedAt: "2025-01-02T03:04:05.678Z"
}

const destination = {
  id: destinationId,
  tenantId,
  senderId,
  name: "Production Webhook",
  description: null,
  eventTypes: ["payment.created"],
  topics: [],
  retry: { type: "exponential", delaySeconds: 60, maxAttempts: 5 },
  variant: { type: "http_endpoint", url: "https://api.example.com/webhooks", method: "POST" },
  headers: {},
  timeoutSeconds: 30,
  maxConcurrency: 10,
  rateLimitPerSecond: null,
  ordering: "none",
  active: true,
  status: "active",
  disabledReason: null,
  circuit: { state: "closed", consecutiveFailures: 0, openedAt: null },
  webhook: { url: "https://api.example.com/webhooks", signingSecret: "whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0" },
  createdAt: "2025-01-02T03:04:05.000Z",
  updatedAt: "2025-01-02T03:04:06.000Z"
}

const event = {
  id: eventId,
  tenantId,
  senderId,
  type: "payment.created",
  topics: ["payments"],
  payload: { paymentId: "pay_123", amount: 1000 },
  headers: { "X-Custom-Header": "custom-value" },
  idempotencyKey: null,
  orderingKey: null,
  status: "pending",
  destinationCount: 1,
  successCount: 0,
  failureCount: 0,
  expiresAt: null,
  createdAt: "2025-01-02T03:04:07.123Z"
}

const attempt = {
  id: attemptId,
  tenantId,
  intentId,
  eventId,
  destinationId,
  attemptNumber: 1,
  status: "failed",
  durationMs: 12,
  response: { statusCode: 500, body: "oops", headers: { "content-type": "text/plain" } },
  error: { code: "http_status", message: "receiver answered 500" },
  startedAt: "2025-01-02T03:04:08.000Z",
  completedAt: "2025-01-02T03:04:08.012Z",
  intent: { id: intentId, status: "retrying", attemptCount: 1 }
}

describe("createSignalClient", () => {
  it("sends the payload, the bearer key and returns plain JSON equal to the server's answer", async () => {
    const client = createSignalClient({ endpoint, apiKey: "sk_test_123" })
    reply(200, tenant)
    const result = await client.tenant.upsert({ name: "My Application", identifier: "my-app" })
    expect(result).toStrictEqual(tenant)
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype)
    expect(last().method).toBe("PUT")
    expect(last().url).toBe("/v1/tenants")
    expect(JSON.parse(last().body)).toEqual({ identifier: "my-app", name: "My Application" })
    expect(last().headers.authorization).toBe("Bearer sk_test_123")
  })

  it("sends no Authorization header without an api key", async () => {
    const client = createSignalClient({ endpoint })
    reply(200, tenant)
    await client.tenant.get({ tenantId })
    expect(last().url).toBe(`/v1/tenants/${tenantId}`)
    expect(last().headers.authorization).toBeUndefined()
  })

  it("creates a destination in the seed's shape and keeps nested nulls and dates as sent", async () => {
    const client = createSignalClient({ endpoint })
    reply(201, destination)
    const created = await client.eventDestination.create({
      tenantId,
      senderId,
      name: "Production Webhook",
      eventTypes: ["payment.created"],
      retry: { type: "exponential", delaySeconds: 60, maxAttempts: 5 },
      variant: { type: "http_endpoint", url: "https://api.example.com/webhooks", method: "POST" }
    })
    expect(created).toStrictEqual(destination)
    expect(created.webhook?.signingSecret).toBe(destination.webhook.signingSecret)
    expect(last().method).toBe("POST")
    expect(last().url).toBe(`/v1/tenants/${tenantId}/destinations`)
    const sent = JSON.parse(last().body)
    expect(sent).toMatchObject({ name: "Production Webhook", senderId, eventTypes: ["payment.created"] })
    expect(sent.tenantId).toBeUndefined()
  })

  it("sends only the given fields on update, including eventTypes: null", async () => {
    const client = createSignalClient({ endpoint })
    reply(200, { ...destination, eventTypes: null })
    const updated = await client.eventDestination.update({
      tenantId,
      eventDestinationId: destinationId,
      name: "Updated Webhook",
      eventTypes: null
    })
    expect(updated.eventTypes).toBeNull()
    expect(last().method).toBe("PATCH")
    expect(last().url).toBe(`/v1/tenants/${tenantId}/destinations/${destinationId}`)
    expect(JSON.parse(last().body)).toStrictEqual({ name: "Updated Webhook", eventTypes: null })
  })

  it("encodes list filters as query parameters", async () => {
    const client = createSignalClient({ endpoint })
    reply(200, { items: [event], nextCursor: "42", hasMore: true })
    const page = await client.event.list({
      tenantId,
      eventTypes: ["payment.created", "payment.failed"],
      topics: "payments",
      senderIds: [senderId],
      status: ["pending"],
      createdAfter: new Date("2025-01-01T00:00:00.000Z"),
      limit: 50,
      order: "asc",
      cursor: "7"
    })
    expect(page).toStrictEqual({ items: [event], nextCursor: "42", hasMore: true })
    expect(page.items[0].type).toBe("payment.created")
    const url = new URL(last().url, "http://x")
    expect(url.pathname).toBe(`/v1/tenants/${tenantId}/events`)
    expect(url.searchParams.getAll("eventTypes")).toEqual(["payment.created", "payment.failed"])
    expect(url.searchParams.getAll("topics")).toEqual(["payments"])
    expect(url.searchParams.get("limit")).toBe("50")
    expect(url.searchParams.get("order")).toBe("asc")
    expect(url.searchParams.get("cursor")).toBe("7")
    expect(url.searchParams.get("createdAfter")).toBe("2025-01-01T00:00:00.000Z")
  })

  it("publishes an event with payloadJson and returns it", async () => {
    const client = createSignalClient({ endpoint })
    reply(201, event)
    const created = await client.event.create({
      tenantId,
      senderId,
      eventType: "payment.created",
      topics: ["payments"],
      payloadJson: JSON.stringify({ paymentId: "pay_123", amount: 1000 }),
      headers: { "X-Custom-Header": "custom-value" },
      onlyForDestinations: undefined
    })
    expect(created).toStrictEqual(event)
    const sent = JSON.parse(last().body)
    expect(sent).toMatchObject({ eventType: "payment.created", payloadJson: '{"paymentId":"pay_123","amount":1000}' })
    expect("onlyForDestinations" in sent).toBe(false)
  })

  it("maps attempt paths and keeps responses verbatim", async () => {
    const client = createSignalClient({ endpoint })
    reply(200, attempt)
    expect(await client.eventDeliveryAttempt.get({ tenantId, eventDeliveryAttemptId: attemptId })).toStrictEqual(attempt)
    expect(last().url).toBe(`/v1/tenants/${tenantId}/attempts/${attemptId}`)
  })

  it("rotates a secret with no body options unless graceSeconds is given", async () => {
    const client = createSignalClient({ endpoint })
    const rotated = { ...destination, webhook: { ...destination.webhook, signingSecret: "whsec_bmV3c2VjcmV0bmV3c2VjcmV0bmV3c2VjcmV0" } }
    reply(200, rotated)
    expect(await client.eventDestination.rotateSecret({ tenantId, eventDestinationId: destinationId })).toStrictEqual(rotated)
    expect(last().method).toBe("POST")
    expect(last().url).toBe(`/v1/tenants/${tenantId}/destinations/${destinationId}/rotate-secret`)
    expect(JSON.parse(last().body)).toBeNull()
    await client.eventDestination.rotateSecret({ tenantId, eventDestinationId: destinationId, graceSeconds: 0 })
    expect(JSON.parse(last().body)).toStrictEqual({ graceSeconds: 0 })
    const before = seen.length
    await expect(
      client.eventDestination.rotateSecret({ tenantId, eventDestinationId: destinationId, graceSeconds: 1.5 })
    ).rejects.toMatchObject({ status: 400, code: "invalid_request" })
    expect(seen.length).toBe(before)
  })

  it("sends the analytics window as ISO query parameters", async () => {
    const client = createSignalClient({ endpoint })
    const analytics = {
      tenantId,
      destinationId,
      from: "2025-01-01T00:00:00.000Z",
      to: "2025-01-02T00:00:00.000Z",
      events: 3,
      deliveries: 3,
      succeeded: 2,
      failed: 1,
      inProgress: 0,
      successRate: 0.6666666666666666,
      attempts: 4,
      attemptsPerDelivery: 1.3333333333333333,
      latencyMs: { p50: 12, p95: null },
      queue: { pending: 0, retrying: 0, depth: 0 }
    }
    reply(200, analytics)
    const result = await client.analytics.destination({
      tenantId,
      eventDestinationId: destinationId,
      from: new Date("2025-01-01T00:00:00.000Z"),
      to: "2025-01-02T00:00:00Z"
    })
    expect(result).toStrictEqual(analytics)
    const url = new URL(last().url, "http://x")
    expect(url.pathname).toBe(`/v1/tenants/${tenantId}/destinations/${destinationId}/analytics`)
    expect(url.searchParams.get("from")).toBe("2025-01-01T00:00:00.000Z")
    expect(url.searchParams.get("to")).toBe("2025-01-02T00:00:00.000Z")
    reply(200, { ...analytics, destinationId: null })
    expect((await client.analytics.tenant({ tenantId })).destinationId).toBeNull()
    expect(last().url).toBe(`/v1/tenants/${tenantId}/analytics`)
  })

  it("creates, lists and revokes API keys", async () => {
    const client = createSignalClient({ endpoint, apiKey: "admin-key" })
    const apiKey = {
      id: "key_01jz0000000000000000000000",
      tenantId,
      name: "ci",
      prefix: "sk_abcdefgh",
      createdAt: "2025-01-02T03:04:05.000Z",
      lastUsedAt: null,
      revokedAt: null
    }
    reply(201, { ...apiKey, key: "sk_abcdefghijklmnop" })
    expect(await client.apiKey.create({ tenantId, name: "ci" })).toStrictEqual({ ...apiKey, key: "sk_abcdefghijklmnop" })
    expect(last().method).toBe("POST")
    expect(last().url).toBe(`/v1/tenants/${tenantId}/api-keys`)
    expect(JSON.parse(last().body)).toStrictEqual({ name: "ci" })
    reply(200, { items: [apiKey], nextCursor: null, hasMore: false })
    expect(await client.apiKey.list({ tenantId, limit: 5 })).toStrictEqual({ items: [apiKey], nextCursor: null, hasMore: false })
    const listUrl = new URL(last().url, "http://x")
    expect(listUrl.pathname).toBe(`/v1/tenants/${tenantId}/api-keys`)
    expect(listUrl.searchParams.get("limit")).toBe("5")
    const revoked = { ...apiKey, revokedAt: "2025-01-03T00:00:00.000Z" }
    reply(200, revoked)
    expect(await client.apiKey.revoke({ tenantId, apiKeyId: apiKey.id })).toStrictEqual(revoked)
    expect(last().method).toBe("DELETE")
    expect(last().url).toBe(`/v1/tenants/${tenantId}/api-keys/${apiKey.id}`)
  })

  it("rejects with a typed 404", async () => {
    const client = createSignalClient({ endpoint })
    reply(404, { _tag: "NotFound", code: "not_found", message: `destination ${destinationId} not found` })
    const error = await client.eventDestination
      .get({ tenantId, eventDestinationId: destinationId })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SignalClientError)
    expect(error).toBeInstanceOf(Error)
    expect(error).toMatchObject({ status: 404, code: "not_found", message: `destination ${destinationId} not found` })
  })

  it("rejects with the server's code, message and details on 400", async () => {
    const client = createSignalClient({ endpoint })
    reply(400, { _tag: "BadRequest", code: "invalid_payload", message: "payloadJson is not JSON", details: { index: 3 } })
    await expect(
      client.event.create({ tenantId, senderId, eventType: "x", payloadJson: "{" })
    ).rejects.toMatchObject({ status: 400, code: "invalid_payload", message: "payloadJson is not JSON", details: { index: 3 } })
  })

  it("maps every contract error by its declared status, keeping extra fields as details", async () => {
    const client = createSignalClient({ endpoint, apiKey: "wrong" })
    reply(401, { _tag: "Unauthorized", code: "unauthorized", message: "unknown API key" })
    await expect(client.tenant.get({ tenantId })).rejects.toMatchObject({ status: 401, code: "unauthorized", message: "unknown API key" })
    reply(429, { _tag: "RateLimited", code: "rate_limited", message: "slow down", retryAfterSeconds: 7 })
    await expect(client.tenant.get({ tenantId })).rejects.toMatchObject({
      status: 429,
      code: "rate_limited",
      details: { retryAfterSeconds: 7 }
    })
    reply(503, { _tag: "ServiceUnavailable", code: "unavailable", message: "database unavailable, retry later" })
    await expect(client.tenant.get({ tenantId })).rejects.toMatchObject({ status: 503, code: "unavailable" })
  })

  it("reads answers that are not contract errors (a proxy's page, a bare status) from the body", async () => {
    const client = createSignalClient({ endpoint })
    reply(401, { code: "unauthorized", message: "invalid API key" })
    await expect(client.tenant.get({ tenantId })).rejects.toMatchObject({ status: 401, code: "unauthorized", message: "invalid API key" })
    reply(503, "<html>Service Temporarily Unavailable</html>")
    await expect(client.tenant.get({ tenantId })).rejects.toMatchObject({ status: 503, code: "http_503" })
    reply(500, "Internal Server Error")
    await expect(client.tenant.get({ tenantId })).rejects.toMatchObject({
      status: 500,
      code: "http_500",
      message: "Internal Server Error"
    })
  })

  it("refuses invalid input before sending it", async () => {
    const client = createSignalClient({ endpoint })
    const before = seen.length
    const error = await client.tenant.get({ tenantId: "not-a-tenant" }).catch((e: unknown) => e)
    expect(error).toMatchObject({ status: 400, code: "invalid_request" })
    expect((error as SignalClientError).message).toMatch(/ten_/)
    await expect(client.eventDestination.list({ tenantId, limit: 0 })).rejects.toMatchObject({ code: "invalid_request" })
    expect(seen.length).toBe(before)
  })

  it("reports an answer that does not match the contract", async () => {
    const client = createSignalClient({ endpoint })
    reply(200, { id: "nope" })
    const error = (await client.tenant.get({ tenantId }).catch((e: unknown) => e)) as SignalClientError
    expect(error).toMatchObject({ status: 0, code: "invalid_response" })
    // one readable line naming the fields, not the schema
    expect(error.message).not.toMatch(/\n|readonly|<->/)
    expect(error.message).toBe("the server's answer does not match the contract: id: must be a ten_… id")
  })

  it("reports an unreachable server as a network error", async () => {
    const probe = createServer()
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve))
    const port = (probe.address() as AddressInfo).port
    await new Promise<void>((resolve) => probe.close(() => resolve()))
    const client = createSignalClient({ endpoint: `http://127.0.0.1:${port}` })
    await expect(client.tenant.get({ tenantId })).rejects.toMatchObject({ status: 0, code: "network_error" })
  })

  it("gives up on a server that never answers after timeoutMs, as a network error", async () => {
    const silent = createServer(() => {}) // takes the request, never answers
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve))
    try {
      const client = createSignalClient({ endpoint: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`, timeoutMs: 500 })
      const started = Date.now()
      const error = await client.tenant.get({ tenantId }).catch((e: unknown) => e)
      expect(error).toMatchObject({ status: 0, code: "network_error" })
      expect((error as SignalClientError).message).toContain("no answer within 0.5 s")
      expect(Date.now() - started).toBeLessThan(5_000)
    } finally {
      silent.closeAllConnections()
      silent.close()
    }
  })
})
