/**
 * The client's whole journey against a live Signal server: tenant → sender → destination pointing
 * at a real receiver on 127.0.0.1 → event → delivered and verified → intents → attempts → update
 * → analytics → secret rotation → delete → typed 404; and tenant API keys: create → list → revoke.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { DestinationId, TenantId } from "@signal/domain/Ids"
import { Effect } from "effect"
import { createServer, type IncomingHttpHeaders, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { Webhook } from "standardwebhooks"
import { createSignalClient, type Destination, SignalClient, SignalClientError, type SignalPromiseClient, verifyWebhook } from "../src/node"
import { hasTestServer, type LiveServer, startTestServer, stopServer } from "./liveServer"

interface Delivery {
  readonly headers: IncomingHttpHeaders
  readonly body: string
  readonly verified: boolean
  readonly verifiedByStandardWebhooks: boolean
}

const waitFor = async <A>(what: string, probe: () => Promise<A | undefined>, timeoutMs = 30_000): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

describe.skipIf(!hasTestServer)("client scenario against a live server", () => {
  let server: LiveServer
  let receiver: Server
  let receiverUrl: string
  let client: SignalPromiseClient
  let signingSecret = ""
  const deliveries: Array<Delivery> = []

  beforeAll(async () => {
    server = await startTestServer()
    client = createSignalClient({ endpoint: server.url })
    receiver = createServer((req, res) => {
      let body = ""
      req.setEncoding("utf8")
      req.on("data", (chunk) => (body += chunk))
      req.on("end", () => {
        const verified = verifyWebhook({ body, headers: req.headers, secret: signingSecret })
        let verifiedByStandardWebhooks = false
        try {
          new Webhook(signingSecret).verify(body, req.headers as Record<string, string>)
          verifiedByStandardWebhooks = true
        } catch {
          verifiedByStandardWebhooks = false
        }
        deliveries.push({ headers: req.headers, body, verified, verifiedByStandardWebhooks })
        res.writeHead(verified ? 200 : 401, { "content-type": "text/plain" })
        res.end(verified ? "ok" : "bad signature")
      })
    })
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve))
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`
  })

  afterAll(async () => {
    receiver?.closeAllConnections()
    await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()))
    await stopServer(server)
  })

  it("runs tenant → sender → destination → event → deliveries → update → analytics → rotation → delete", async () => {
    const suffix = Date.now().toString(36)

    const tenant = await client.tenant.upsert({ name: "Scenario Tenant", identifier: `scenario-${suffix}` })
    expect(tenant.id).toMatch(/^ten_/)
    expect(typeof tenant.createdAt).toBe("string")
    expect(await client.tenant.get({ tenantId: tenant.id })).toStrictEqual(tenant)
    const again = await client.tenant.upsert({ name: "Scenario Tenant, renamed", identifier: `scenario-${suffix}` })
    expect(again.id).toBe(tenant.id)
    expect(again.name).toBe("Scenario Tenant, renamed")

    const sender = await client.sender.upsert({ name: "Scenario Sender", identifier: `scenario-sender-${suffix}` })
    expect(sender.id).toMatch(/^snd_/)
    expect(await client.sender.get({ senderId: sender.id })).toStrictEqual(sender)

    const destination: Destination = await client.eventDestination.create({
      tenantId: tenant.id,
      senderId: sender.id,
      name: "Local receiver",
      description: "verifies every delivery",
      eventTypes: ["order.created"],
      retry: { type: "linear", delaySeconds: 1, maxAttempts: 3 },
      variant: { type: "http_endpoint", url: receiverUrl, method: "POST" },
      headers: { "x-destination": "scenario" }
    })
    expect(destination.id).toMatch(/^dst_/)
    expect(destination.webhook?.signingSecret).toMatch(/^whsec_/)
    expect(destination.eventTypes).toEqual(["order.created"])
    signingSecret = destination.webhook.signingSecret

    expect(await client.eventDestination.get({ tenantId: tenant.id, eventDestinationId: destination.id })).toStrictEqual(
      destination
    )
    const listed = await client.eventDestination.list({ tenantId: tenant.id, limit: 20, order: "desc" })
    expect(listed.items.map((d) => d.id)).toContain(destination.id)

    const payload = { orderId: "ord_1", total: 4200, lines: [{ sku: "A-1", qty: 2 }], note: "café ☕" }
    const event = await client.event.create({
      tenantId: tenant.id,
      senderId: sender.id,
      eventType: "order.created",
      topics: ["orders"],
      payloadJson: JSON.stringify(payload),
      headers: { "x-event-header": "from-producer" }
    })
    expect(event.id).toMatch(/^evt_/)
    expect(event.type).toBe("order.created")
    expect(event.destinationCount).toBe(1)

    const delivered = await waitFor("the event to be delivered", async () => {
      const current = await client.event.get({ tenantId: tenant.id, eventId: event.id })
      return current.status === "succeeded" ? current : undefined
    })
    expect(delivered.successCount).toBe(1)
    expect(delivered.failureCount).toBe(0)

    expect(deliveries.length).toBeGreaterThanOrEqual(1)
    const delivery = deliveries[0]
    expect(delivery.verified).toBe(true)
    expect(delivery.verifiedByStandardWebhooks).toBe(true)
    const body = JSON.parse(delivery.body)
    expect(body).toMatchObject({
      id: event.id,
      type: "order.created",
      topics: ["orders"],
      payload,
      tenantId: tenant.id,
      senderId: sender.id
    })
    expect(delivery.headers["x-destination"]).toBe("scenario")
    expect(delivery.headers["x-event-header"]).toBe("from-producer")

    const events = await client.event.list({ tenantId: tenant.id, eventTypes: ["order.created"], limit: 10 })
    expect(events.items[0].id).toBe(event.id)
    expect(events.items[0].type).toBe("order.created")

    const intents = await client.eventDeliveryIntent.list({ tenantId: tenant.id, eventIds: [event.id] })
    expect(intents.items).toHaveLength(1)
    const intentSummary = intents.items[0]
    expect(intentSummary).toMatchObject({
      eventId: event.id,
      destinationId: destination.id,
      status: "succeeded",
      attemptCount: 1,
      error: null
    })
    expect(intentSummary.destination.name).toBe("Local receiver")
    expect(delivery.headers["webhook-id"]).toBe(intentSummary.id)
    const intent = await client.eventDeliveryIntent.get({ tenantId: tenant.id, eventDeliveryIntentId: intentSummary.id })
    expect(intent).toStrictEqual(intentSummary)
    expect(intent.event.type).toBe("order.created")
    const filtered = await client.eventDeliveryIntent.list({ tenantId: tenant.id, eventIds: [event.id], status: ["failed"] })
    expect(filtered.items).toHaveLength(0)

    const attempts = await client.eventDeliveryAttempt.list({ tenantId: tenant.id, eventIds: [event.id], limit: 50 })
    expect(attempts.items).toHaveLength(1)
    const attemptSummary = attempts.items[0]
    expect(attemptSummary).toMatchObject({
      intentId: intent.id,
      eventId: event.id,
      destinationId: destination.id,
      attemptNumber: 1,
      status: "succeeded",
      error: null
    })
    expect(attemptSummary.response?.statusCode).toBe(200)
    expect(attemptSummary.response?.body).toBe("ok")
    const attempt = await client.eventDeliveryAttempt.get({ tenantId: tenant.id, eventDeliveryAttemptId: attemptSummary.id })
    expect(attempt).toStrictEqual(attemptSummary)
    expect(Date.parse(attempt.completedAt)).toBeGreaterThanOrEqual(Date.parse(attempt.startedAt))

    // an event type the destination does not subscribe to matches nothing …
    const ignored = await client.event.create({ tenantId: tenant.id, senderId: sender.id, eventType: "user.signup", payload: {} })
    expect(ignored.destinationCount).toBe(0)

    // … until eventTypes: null subscribes it to every type
    const updated = await client.eventDestination.update({
      tenantId: tenant.id,
      eventDestinationId: destination.id,
      name: "Local receiver (all types)",
      eventTypes: null
    })
    expect(updated.eventTypes).toBeNull()
    expect(updated.name).toBe("Local receiver (all types)")
    expect(updated.variant.url).toBe(receiverUrl)
    expect(updated.webhook.signingSecret).toBe(signingSecret)
    const matched = await client.event.create({ tenantId: tenant.id, senderId: sender.id, eventType: "user.signup", payload: { a: 1 } })
    expect(matched.destinationCount).toBe(1)
    await waitFor("the second delivery", async () => (deliveries.length >= 2 ? true : undefined))
    expect(deliveries.every((d) => d.verified)).toBe(true)

    // analytics over the default window (the last 24 hours) and over an explicit one
    await waitFor("the second delivery to be recorded", async () => {
      const current = await client.event.get({ tenantId: tenant.id, eventId: matched.id })
      return current.status === "succeeded" ? current : undefined
    })
    const tenantStats = await client.analytics.tenant({ tenantId: tenant.id })
    expect(tenantStats).toMatchObject({ tenantId: tenant.id, destinationId: null })
    expect(tenantStats.events).toBeGreaterThanOrEqual(2)
    expect(tenantStats.deliveries).toBeGreaterThanOrEqual(2)
    expect(tenantStats.succeeded).toBeGreaterThanOrEqual(2)
    expect(tenantStats.attempts).toBeGreaterThanOrEqual(2)
    expect(tenantStats.failed).toBe(0)
    expect(tenantStats.successRate).toBe(1)
    expect(typeof tenantStats.from).toBe("string")
    expect(Date.parse(tenantStats.to)).toBeGreaterThan(Date.parse(tenantStats.from))
    expect(tenantStats.latencyMs).toHaveProperty("p50")
    expect(tenantStats.latencyMs).toHaveProperty("p95")
    expect(tenantStats.queue).toMatchObject({ pending: expect.any(Number), retrying: expect.any(Number), depth: expect.any(Number) })
    const from = new Date(Date.now() - 60 * 60 * 1000)
    const to = new Date(Date.now() + 60 * 1000).toISOString()
    const destinationStats = await client.analytics.destination({
      tenantId: tenant.id,
      eventDestinationId: destination.id,
      from,
      to
    })
    expect(destinationStats).toMatchObject({ tenantId: tenant.id, destinationId: destination.id })
    expect(Date.parse(destinationStats.from)).toBe(from.getTime())
    expect(Date.parse(destinationStats.to)).toBe(Date.parse(to))
    expect(destinationStats.events).toBeGreaterThanOrEqual(1)
    expect(destinationStats.deliveries).toBeGreaterThanOrEqual(1)
    expect(destinationStats.succeeded).toBeGreaterThanOrEqual(1)
    expect(typeof destinationStats.attemptsPerDelivery).toBe("number")
    await expect(
      client.analytics.tenant({ tenantId: tenant.id, from: "not a date" })
    ).rejects.toMatchObject({ status: 400, code: "invalid_request" })

    // rotating the signing secret: the server's default grace period, then none at all
    const rotated = await client.eventDestination.rotateSecret({ tenantId: tenant.id, eventDestinationId: destination.id })
    expect(rotated.id).toBe(destination.id)
    expect(rotated.webhook.signingSecret).toMatch(/^whsec_/)
    expect(rotated.webhook.signingSecret).not.toBe(signingSecret)
    const rotatedAgain = await client.eventDestination.rotateSecret({
      tenantId: tenant.id,
      eventDestinationId: destination.id,
      graceSeconds: 0
    })
    expect(rotatedAgain.webhook.signingSecret).toMatch(/^whsec_/)
    expect(rotatedAgain.webhook.signingSecret).not.toBe(rotated.webhook.signingSecret)
    expect(rotatedAgain.webhook.signingSecret).not.toBe(signingSecret)
    expect(
      (await client.eventDestination.get({ tenantId: tenant.id, eventDestinationId: destination.id })).webhook.signingSecret
    ).toBe(rotatedAgain.webhook.signingSecret)
    await expect(
      client.eventDestination.rotateSecret({ tenantId: tenant.id, eventDestinationId: destination.id, graceSeconds: -1 })
    ).rejects.toMatchObject({ status: 400, code: "invalid_request" })
    // the next delivery verifies with the new secret
    signingSecret = rotatedAgain.webhook.signingSecret
    const afterRotation = deliveries.length
    await client.event.create({ tenantId: tenant.id, senderId: sender.id, eventType: "order.created", payload: { n: 3 } })
    await waitFor("a delivery after the rotation", async () => (deliveries.length > afterRotation ? true : undefined))
    expect(deliveries[afterRotation].verified).toBe(true)
    expect(deliveries[afterRotation].verifiedByStandardWebhooks).toBe(true)

    const deleted = await client.eventDestination.delete({ tenantId: tenant.id, eventDestinationId: destination.id })
    expect(deleted).toStrictEqual({ id: destination.id, deleted: true })

    const error = await client.eventDestination
      .get({ tenantId: tenant.id, eventDestinationId: destination.id })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SignalClientError)
    expect(error).toMatchObject({ status: 404, code: "not_found" })

    // the Effect-native client surfaces the same answer as the contract's NotFound
    const notFound = await Effect.runPromise(
      Effect.gen(function*() {
        const signal = yield* SignalClient
        return yield* Effect.flip(
          signal.eventDestination.get({
            path: { tenantId: TenantId.make(tenant.id), destinationId: DestinationId.make(destination.id) }
          })
        )
      }).pipe(Effect.provide(SignalClient.layerFetch({ endpoint: server.url })))
    )
    expect(notFound._tag).toBe("NotFound")
  })

  it("creates, lists and revokes tenant API keys", async () => {
    const tenant = await client.tenant.upsert({ name: "Key Tenant", identifier: `scenario-keys-${Date.now().toString(36)}` })
    const created = await client.apiKey.create({ tenantId: tenant.id, name: "ci" })
    expect(created.id).toMatch(/^key_/)
    expect(created).toMatchObject({ tenantId: tenant.id, name: "ci", lastUsedAt: null, revokedAt: null })
    expect(created.key).toMatch(/^sk_/)
    expect(created.key.startsWith(created.prefix)).toBe(true)
    const unnamed = await client.apiKey.create({ tenantId: tenant.id })
    expect(unnamed.name).toBe("default")
    expect(unnamed.key).not.toBe(created.key)

    // the key works for its own tenant
    const asTenant = createSignalClient({ endpoint: server.url, apiKey: created.key })
    expect((await asTenant.tenant.get({ tenantId: tenant.id })).id).toBe(tenant.id)

    const listed = await client.apiKey.list({ tenantId: tenant.id })
    expect(listed.items.map((k) => k.id)).toEqual(expect.arrayContaining([created.id, unnamed.id]))
    const listedKey = listed.items.find((k) => k.id === created.id)!
    expect(listedKey).not.toHaveProperty("key")
    expect(JSON.stringify(listed)).not.toContain(created.key)
    expect(listedKey).toMatchObject({ prefix: created.prefix, revokedAt: null })

    const revoked = await client.apiKey.revoke({ tenantId: tenant.id, apiKeyId: created.id })
    expect(revoked.id).toBe(created.id)
    expect(typeof revoked.revokedAt).toBe("string")
    const afterRevoke = await client.apiKey.list({ tenantId: tenant.id, limit: 10 })
    expect(afterRevoke.items.find((k) => k.id === created.id)?.revokedAt).toBe(revoked.revokedAt)
    expect(afterRevoke.items.find((k) => k.id === unnamed.id)?.revokedAt).toBeNull()
    await expect(asTenant.tenant.get({ tenantId: tenant.id })).rejects.toMatchObject({ status: 401 })

    await expect(
      client.apiKey.revoke({ tenantId: tenant.id, apiKeyId: "key_00000000000000000000000000" })
    ).rejects.toMatchObject({ status: 404, code: "not_found" })
    await expect(client.apiKey.revoke({ tenantId: tenant.id, apiKeyId: "nope" })).rejects.toMatchObject({
      status: 400,
      code: "invalid_request"
    })
  })

  it("rejects unknown tenants with a typed 404", async () => {
    await expect(client.tenant.get({ tenantId: "ten_00000000000000000000000000" })).rejects.toMatchObject({
      status: 404,
      code: "not_found"
    })
  })

  it("rejects invalid payloads with a 400 and the server's code", async () => {
    const tenant = await client.tenant.upsert({ name: "Scenario Tenant", identifier: `scenario-bad-${Date.now()}` })
    const sender = await client.sender.upsert({ name: "Scenario Sender", identifier: `scenario-bad-sender-${Date.now()}` })
    await expect(
      client.event.create({ tenantId: tenant.id, senderId: sender.id, eventType: "x", payloadJson: "{not json" })
    ).rejects.toMatchObject({ status: 400 })
  })
})
