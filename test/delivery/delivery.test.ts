import { createHmac } from "node:crypto"
import { createServer as createTcpServer } from "node:net"
import { Effect } from "effect"
import { Webhook } from "standardwebhooks"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { eventually, seedTenant } from "../support/http"
import { type Receiver, startReceiver } from "../support/receiver"
import { useTestServer } from "../support/server"
import { withSql } from "../support/sql"
import { deliveryHelpers } from "./shared"

const running = useTestServer()
let receiver: Receiver

/** A receiver that answers every request 500. */
const failingReceiver = () =>
  startReceiver((_request, _index, response) => {
    response.writeHead(500)
    response.end()
  })

beforeAll(async () => {
  receiver = await startReceiver()
})

afterAll(async () => {
  await receiver?.close()
})

let createDestination: ReturnType<typeof deliveryHelpers>["createDestination"]
let publish: ReturnType<typeof deliveryHelpers>["publish"]
let attemptsOf: ReturnType<typeof deliveryHelpers>["attemptsOf"]
let settled: ReturnType<typeof deliveryHelpers>["settled"]
let publishMany: ReturnType<typeof deliveryHelpers>["publishMany"]
let drained: ReturnType<typeof deliveryHelpers>["drained"]

beforeAll(() => {
  ;({ createDestination, publish, attemptsOf, settled, publishMany, drained } = deliveryHelpers(running.client))
})

describe("delivery", () => {
  it("delivers a signed request that verifies with Standard Webhooks and with a plain HMAC", async () => {
    const { tenantId, senderId } = await seedTenant(running.client)
    const hook = await startReceiver()
    const destination = await createDestination(tenantId, hook.url, { headers: { "X-Destination": "d1" } })
    const event = await publish(tenantId, senderId, { headers: { "X-Event": "e1" } })
    const intent = await settled(tenantId, event.id)
    expect(intent.status).toBe("succeeded")
    expect(hook.requests).toHaveLength(1)
    const received = hook.requests[0]
    const secret: string = destination.webhook.signingSecret

    expect(createHmac("sha256", secret).update(received.body).digest("hex")).toBe(received.headers["x-signal-signature"])
    const verified = new Webhook(secret).verify(received.body, {
      "webhook-id": String(received.headers["webhook-id"]),
      "webhook-timestamp": String(received.headers["webhook-timestamp"]),
      "webhook-signature": String(received.headers["webhook-signature"])
    })
    expect(verified).toMatchObject({ id: event.id, type: "payment.created" })

    expect(received.headers["webhook-id"]).toBe(intent.id)
    // no spans exported here, yet the attempt sends its trace context
    expect(received.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)
    expect(received.headers["x-destination"]).toBe("d1")
    expect(received.headers["x-event"]).toBe("e1")
    expect(received.headers["content-type"]).toBe("application/json")
    expect(JSON.parse(received.body)).toEqual({
      id: event.id,
      type: "payment.created",
      topics: ["payments"],
      payload: { amount: 1000, currency: "USD" },
      tenantId,
      senderId,
      createdAt: event.createdAt
    })

    const [attempt] = await attemptsOf(tenantId, event.id)
    expect(attempt).toMatchObject({ attemptNumber: 1, status: "succeeded", response: { statusCode: 200, body: "ok" } })
    const settledEvent = (await running.client.get(`/v1/tenants/${tenantId}/events/${event.id}`)).body
    expect(settledEvent).toMatchObject({ status: "succeeded", successCount: 1, failureCount: 0 })
    await hook.close()
  })

  it("delivers and returns the payload as published: compact, its keys in the publisher's order", async () => {
    const { tenantId, senderId } = await seedTenant(running.client)
    const hook = await startReceiver()
    await createDestination(tenantId, hook.url)
    // a store that normalised JSON (Postgres's jsonb) would sort these keys and space the text
    const payload = { zeta: 1, nested: { yy: [1, 2], a: "x" }, b: null, text: "héllo ✓ 😀" }
    const event = await publish(tenantId, senderId, { payload })
    expect((await settled(tenantId, event.id)).status).toBe("succeeded")
    expect(hook.requests[0].body).toContain(`"payload":${JSON.stringify(payload)}`)
    // multi-byte characters counted as bytes: the body is whole JSON, nothing cut or left over
    expect(JSON.parse(hook.requests[0].body)).toMatchObject({ id: event.id, payload })
    const stored = (await running.client.get(`/v1/tenants/${tenantId}/events/${event.id}`)).body
    expect(JSON.stringify(stored.payload)).toBe(JSON.stringify(payload))
    await hook.close()
  })

  it("counts finished deliveries on their events in place: events published together stay on their pages", async () => {
    const { tenantId, senderId } = await seedTenant(running.client)
    const count = 12
    // Responses held until all requests are in (or a second passed): the outcomes come back together, as under load.
    let held: Array<() => void> = []
    const answerHeld = () => {
      for (const answer of held) answer()
      held = []
    }
    const hook = await startReceiver((_request, index, response) => {
      held.push(() => response.writeHead(200).end("ok"))
      if (index === count - 1) answerHeld()
      else if (held.length === 1) setTimeout(answerHeld, 1000)
    })
    const destination = await createDestination(tenantId, hook.url, { maxConcurrency: count })
    // ~1 KB rows, several to a page
    const events = await publishMany(tenantId, senderId, count, { payload: { note: "x".repeat(800) } })
    const ids = events.map((event) => event.id)
    const pagesOf = () =>
      withSql(running.server.databaseUrl, (sql) =>
        sql<{ readonly id: string; readonly page: string }>`
          SELECT id, (ctid::text::point)[0]::text AS page FROM events WHERE id IN ${sql.in(ids)} ORDER BY id`.pipe(
          Effect.map((rows) => rows.map((row) => `${row.id}@${row.page}`))
        ))
    const before = await pagesOf()
    expect(before).toHaveLength(count)

    await drained(tenantId, destination.id)
    await eventually(async () => {
      const listed = (await running.client.get(`/v1/tenants/${tenantId}/events?status=succeeded&limit=50`)).body.items
      return listed.length === count ? true : undefined
    }, { what: "every event counted as succeeded" })
    // Each counter update found room beside its row (a HOT update): none moved to another page.
    expect(await pagesOf()).toEqual(before)
    await hook.close()
  })

  it("retries on the policy's schedule: two failures then a success make three attempts", async () => {
    const { tenantId, senderId } = await seedTenant(running.client)
    const hook = await startReceiver((_request, index, response) => {
      response.writeHead(index < 2 ? 503 : 200)
      response.end(index < 2 ? "busy" : "done")
    })
    await createDestination(tenantId, hook.url, { retry: { type: "linear", delaySeconds: 1, maxAttempts: 5 } })
    const event = await publish(tenantId, senderId)
    const intent = await settled(tenantId, event.id)
    expect(intent).toMatchObject({ status: "succeeded", attemptCount: 3 })

    const attempts = await attemptsOf(tenantId, event.id)
    expect(attempts.map((a) => [a.attemptNumber, a.status, a.error?.code ?? null, a.response?.statusCode])).toEqual([
      [1, "failed", "http_status", 503],
      [2, "failed", "http_status", 503],
      [3, "succeeded", null, 200]
    ])
    // linear: 1 s then 2 s (±20 % jitter); every retry carries the same webhook-id
    const gaps = [hook.requests[1].receivedAt - hook.requests[0].receivedAt, hook.requests[2].receivedAt - hook.requests[1].receivedAt]
    expect(gaps[0]).toBeGreaterThanOrEqual(750)
    expect(gaps[0]).toBeLessThan(2_500)
    expect(gaps[1]).toBeGreaterThanOrEqual(1_550)
    expect(gaps[1]).toBeLessThan(3_500)
    expect(new Set(hook.requests.map((r) => r.headers["webhook-id"]))).toEqual(new Set([intent.id]))
    await hook.close()
  })

  it("gives up after maxAttempts and marks intent and event failed", async () => {
    const { tenantId, senderId } = await seedTenant(running.client)
    const hook = await startReceiver((_request, _index, response) => {
      response.writeHead(500)
      response.end("broken")
    })
    await createDestination(tenantId, hook.url, { retry: { type: "exponential", delaySeconds: 1, maxAttempts: 2 } })
    const event = await publish(tenantId, senderId)
    const intent = await settled(tenantId, event.id)
    expect(intent).toMatchObject({ status: "failed", attemptCount: 2, error: { code: "http_status" }, nextAttemptAt: null })
    const settledEvent = (await running.client.get(`/v1/tenants/${tenantId}/events/${event.id}`)).body
    expect(settledEvent).toMatchObject({ status: "failed", successCount: 0, failureCount: 1 })
    await hook.close()
  })

  it("records timeouts, refused and reset connections with stable codes", async () => {
    const { tenantId, senderId } = await seedTenant(running.client)
    const once = { retry: { type: "linear", delaySeconds: 60, maxAttempts: 1 } }
    const slow = await startReceiver((_request, _index, response) => {
      setTimeout(() => {
        response.writeHead(200)
        response.end("late")
      }, 3_000)
    })
    const reset = await startReceiver((_request, _index, response) => {
      response.socket?.destroy()
    })
    // a port that was just free: nothing listens there
    const closedPort = await new Promise<number>((resolve) => {
      const probe = createTcpServer().listen(0, "127.0.0.1", () => {
        const port = (probe.address() as { port: number }).port
        probe.close(() => resolve(port))
      })
    })
    const slowDestination = await createDestination(tenantId, slow.url, { ...once, timeoutSeconds: 1 })
    const resetDestination = await createDestination(tenantId, reset.url, once)
    const refusedDestination = await createDestination(tenantId, `http://127.0.0.1:${closedPort}/hook`, once)
    const codeFor = async (destinationId: string) => {
      const event = await publish(tenantId, senderId, { onlyForDestinations: [destinationId] })
      const intent = await settled(tenantId, event.id)
      const [attempt] = await attemptsOf(tenantId, event.id)
      expect(intent.status).toBe("failed")
      return { intent: intent.error.code, attempt: attempt.error.code, durationMs: attempt.durationMs }
    }
    const timedOut = await codeFor(slowDestination.id)
    expect(timedOut).toMatchObject({ intent: "timeout", attempt: "timeout" })
    expect(timedOut.durationMs).toBeGreaterThanOrEqual(900)
    expect(timedOut.durationMs).toBeLessThan(2_500)
    expect(await codeFor(resetDestination.id)).toMatchObject({ intent: "connection_reset", attempt: "connection_reset" })
    expect(await codeFor(refusedDestination.id)).toMatchObject({ intent: "connection_refused", attempt: "connection_refused" })
    await slow.close()
    await reset.close()
  })

  it("caps the stored response body at 64 KiB", async () => {
    const { tenantId, senderId } = await seedTenant(running.client)
    const big = await startReceiver((_request, _index, response) => {
      response.writeHead(200)
      response.end("x".repeat(200 * 1024))
    })
    await createDestination(tenantId, big.url)
    const event = await publish(tenantId, senderId)
    await settled(tenantId, event.id)
    const [attempt] = await attemptsOf(tenantId, event.id)
    expect(attempt.response.body.length).toBe(64 * 1024)
    await big.close()
  })

  it("does not follow redirects", async () => {
    const { tenantId, senderId } = await seedTenant(running.client)
    const target = await startReceiver()
    const redirecting = await startReceiver((_request, _index, response) => {
      response.writeHead(302, { location: target.url })
      response.end()
    })
    await createDestination(tenantId, redirecting.url, { retry: { type: "linear", delaySeconds: 60, maxAttempts: 1 } })
    const event = await publish(tenantId, senderId)
    const intent = await settled(tenantId, event.id)
    expect(intent).toMatchObject({ status: "failed", error: { code: "http_status" } })
    expect(target.requests).toHaveLength(0)
    await target.close()
    await redirecting.close()
  })

  it("ends retries when the event's ttl runs out", async () => {
    const { tenantId, senderId } = await seedTenant(running.client)
    const failing = await failingReceiver()
    await createDestination(tenantId, failing.url, { retry: { type: "linear", delaySeconds: 2, maxAttempts: 10 } })
    const event = await publish(tenantId, senderId, { ttlSeconds: 1 })
    const intent = await settled(tenantId, event.id)
    expect(intent.status).toBe("failed")
    expect(intent.attemptCount).toBeLessThan(10)
    expect(failing.requests.length).toBeLessThanOrEqual(1)
    await failing.close()
  })

  it("ends an intent `expired` when its event's ttl ends before the next retry would, its attempts as they failed", async () => {
    const { tenantId, senderId } = await seedTenant(running.client)
    const failing = await failingReceiver()
    await createDestination(tenantId, failing.url, { retry: { type: "exponential", delaySeconds: 2, maxAttempts: 10 } })
    // attempt 1 at once, attempt 2 due 1.6–2.4 s later (±20 % jitter), the third 3.2–4.8 s after that:
    // past the ttl whenever the second ran
    const event = await publish(tenantId, senderId, { ttlSeconds: 4 })
    const intent = await settled(tenantId, event.id)
    expect(intent).toMatchObject({ status: "failed", attemptCount: 2 })
    expect(intent.error.code).toBe("expired")
    const attempts = await attemptsOf(tenantId, event.id)
    expect(attempts.map((attempt) => [attempt.attemptNumber, attempt.error?.code])).toEqual([[1, "http_status"], [2, "http_status"]])
    expect(failing.requests).toHaveLength(2)
    expect((await running.client.get(`/v1/tenants/${tenantId}/events/${event.id}`)).body).toMatchObject({ status: "failed", failureCount: 1 })
    // past the ttl a retry would only be recorded as expired: refused
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(event.expiresAt) - Date.now() + 100)))
    const retried = await running.client.post(`/v1/tenants/${tenantId}/intents/${intent.id}/retry`)
    expect(retried.status).toBe(409)
    expect(retried.body.code).toBe("event_expired")
    expect(failing.requests).toHaveLength(2)
    await failing.close()
  })

  it("re-delivers on manual retry with continuing attempt numbers", async () => {
    const { tenantId, senderId } = await seedTenant(running.client)
    const hook = await startReceiver()
    await createDestination(tenantId, hook.url)
    const event = await publish(tenantId, senderId)
    const intent = await settled(tenantId, event.id)
    const retried = await running.client.post(`/v1/tenants/${tenantId}/intents/${intent.id}/retry`)
    expect(retried.status).toBe(202)
    await eventually(async () => (hook.requests.length === 2 ? true : undefined), { what: "second delivery" })
    const again = await settled(tenantId, event.id)
    expect(again).toMatchObject({ status: "succeeded", attemptCount: 2 })
    expect((await attemptsOf(tenantId, event.id)).map((a) => a.attemptNumber)).toEqual([1, 2])
    expect(hook.requests[1].headers["webhook-id"]).toBe(intent.id)
    const settledEvent = (await running.client.get(`/v1/tenants/${tenantId}/events/${event.id}`)).body
    expect(settledEvent).toMatchObject({ status: "succeeded", successCount: 1 })
    await hook.close()
  })
})

describe("default outbound policy", () => {
  const guarded = useTestServer({ allowPrivateNetworks: "" })

  it("refuses loopback receivers unless allowed (blocked_address)", async () => {
    const guardedClient = guarded.client
    const { tenantId, senderId } = await seedTenant(guardedClient)
    const once = { retry: { type: "linear", delaySeconds: 60, maxAttempts: 1 } }
    for (const url of [receiver.url, receiver.url.replace("127.0.0.1", "localhost"), "http://[::ffff:127.0.0.1]:9/x"]) {
      const destination = (await guardedClient.post(`/v1/tenants/${tenantId}/destinations`, {
        name: "internal",
        variant: { type: "http_endpoint", url },
        ...once
      })).body
      const event = (await guardedClient.post(`/v1/tenants/${tenantId}/events`, {
        senderId,
        eventType: "x",
        payload: {},
        onlyForDestinations: [destination.id]
      })).body
      const intent = await eventually(async () => {
        const found = (await guardedClient.get(`/v1/tenants/${tenantId}/intents?eventIds=${event.id}`)).body.items[0]
        return found?.status === "failed" ? found : undefined
      }, { what: `blocked delivery to ${url}` })
      expect(intent.error.code).toBe("blocked_address")
    }
    expect(receiver.requests).toHaveLength(0)
  })
})
