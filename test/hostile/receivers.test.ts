/**
 * Hostile receivers: whatever bytes, sizes or silences a receiver answers with, every claimed intent
 * ends recorded, and a healthy destination in the same process has every delivery recorded meanwhile.
 */
import type { ServerResponse } from "node:http"
import { beforeAll, describe, expect, it } from "vitest"
import { deliveryHelpers } from "../delivery/shared"
import { eventually, seedTenant } from "../support/http"
import { useRawReceivers } from "../support/rawReceiver"
import { useReceivers } from "../support/receiver"
import { useTestServer } from "../support/server"

const running = useTestServer({ env: { SIGNAL_CIRCUIT_FAILURE_THRESHOLD: "1000" } })
const receiver = useReceivers()
const rawReceiver = useRawReceivers()
let helpers: ReturnType<typeof deliveryHelpers>
let tenantId: string
let senderId: string

beforeAll(async () => {
  helpers = deliveryHelpers(running.client)
  ;({ tenantId, senderId } = await seedTenant(running.client))
})

/** Attempts of a destination, oldest first. */
const attemptsTo = async (destinationId: string) =>
  (await running.client.get(`/v1/tenants/${tenantId}/attempts?destinationIds=${destinationId}&order=asc&limit=100`))
    .body.items as Array<any>

/** Waits until every intent of the destination has `count` recorded attempts in total (or more). */
const recorded = (destinationId: string, count: number, timeoutMs = 20_000) =>
  eventually(async () => {
    const attempts = await attemptsTo(destinationId)
    return attempts.length >= count ? attempts : undefined
  }, { timeoutMs, what: `${count} attempts to ${destinationId} to be recorded`, intervalMs: 100 })

/**
 * A healthy destination, created once, and what proves it unharmed: 20 events published to it now
 * all have their delivery recorded (intent succeeded, attempt stored) within 5 s.
 */
let healthy: { id: string; requests: () => number } | undefined
const healthyDeliversWithin5s = async () => {
  if (healthy === undefined) {
    const hook = await receiver()
    const destination = await helpers.createDestination(tenantId, hook.url, { eventTypes: ["healthy"], maxConcurrency: 8 })
    healthy = { id: destination.id, requests: () => hook.requests.length }
  }
  const events = await helpers.publishMany(tenantId, senderId, 20, { eventType: "healthy" })
  const started = Date.now()
  await eventually(async () => {
    const ids = events.map((event) => event.id).join(",")
    const page = await running.client.get(`/v1/tenants/${tenantId}/intents?eventIds=${ids}&status=succeeded&limit=100`)
    return page.body.items.length === 20 ? true : undefined
  }, { timeoutMs: 5_000, what: "the healthy destination's 20 deliveries to be recorded", intervalMs: 50 })
  expect(Date.now() - started).toBeLessThan(5_000)
}

/** A destination for `eventType` only, so each scenario's events go to its own hostile receiver. */
const hostileDestination = (url: string, eventType: string, fields: Record<string, unknown> = {}) =>
  helpers.createDestination(tenantId, url, {
    eventTypes: [eventType],
    retry: { type: "linear", delaySeconds: 3600, maxAttempts: 3 },
    ...fields
  })

describe("hostile receivers", () => {
  it("records a 2xx whose body holds NUL bytes, with a marker in their place", async () => {
    const hook = await receiver((_request, _index, response: ServerResponse) => {
      response.writeHead(200, { "content-type": "text/plain" })
      response.end("ok\u0000\u0000after")
    })
    const destination = await hostileDestination(hook.url, "nul.body")
    await helpers.publishMany(tenantId, senderId, 5, { eventType: "nul.body" })
    await healthyDeliversWithin5s()
    const attempts = await recorded(destination.id, 5)
    for (const attempt of attempts) {
      expect(attempt.status).toBe("succeeded")
      expect(attempt.response.body).toBe("ok\uFFFD\uFFFDafter")
      expect(attempt.intent.status).toBe("succeeded")
    }
  })

  it("records a response whose headers hold NUL bytes or Latin-1, whatever the HTTP parser makes of them", async () => {
    const nulHeader = await rawReceiver((socket) => {
      socket.end(Buffer.from("HTTP/1.1 200 OK\r\nX-Bad: a\u0000b\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok", "latin1"))
    })
    const latinHeader = await rawReceiver((socket) => {
      socket.end(Buffer.from("HTTP/1.1 200 OK\r\nX-Latin: caf\u00e9\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok", "latin1"))
    })
    const nul = await hostileDestination(nulHeader.url, "nul.header")
    const latin = await hostileDestination(latinHeader.url, "latin.header")
    await helpers.publishMany(tenantId, senderId, 3, { eventType: "nul.header" })
    await helpers.publishMany(tenantId, senderId, 3, { eventType: "latin.header" })
    await healthyDeliversWithin5s()
    // Node refuses a NUL inside a header value: a failed attempt with a stable code, retried later.
    const nulAttempts = await recorded(nul.id, 3)
    for (const attempt of nulAttempts) {
      expect(attempt.status).toBe("failed")
      expect(attempt.error.code).toMatch(/^[a-z_]+$/)
      expect(attempt.intent.status).toBe("retrying")
    }
    const latinAttempts = await recorded(latin.id, 3)
    for (const attempt of latinAttempts) {
      expect(attempt.status).toBe("succeeded")
      expect(attempt.response.headers["x-latin"]).toBe("caf\u00e9")
    }
  })

  it("keeps the first 64 KiB of a 20 MiB answer and records it", async () => {
    const chunk = Buffer.alloc(1024 * 1024, "x")
    const hook = await receiver((_request, _index, response: ServerResponse) => {
      response.writeHead(200, { "content-type": "text/plain", "content-length": String(20 * chunk.length) })
      let sent = 0
      const more = () => {
        while (sent < 20) {
          sent++
          if (!response.write(chunk)) return response.once("drain", more)
        }
        response.end()
      }
      response.on("error", () => {})
      more()
    })
    const destination = await hostileDestination(hook.url, "huge.body")
    await helpers.publishMany(tenantId, senderId, 3, { eventType: "huge.body" })
    await healthyDeliversWithin5s()
    const attempts = await recorded(destination.id, 3)
    for (const attempt of attempts) {
      expect(attempt.status).toBe("succeeded")
      expect(attempt.response.body.length).toBe(64 * 1024)
    }
  })

  it("times out a receiver that never answers, with the `timeout` code", async () => {
    const silent = await rawReceiver(() => {})
    const destination = await hostileDestination(silent.url, "silent", { timeoutSeconds: 1, maxConcurrency: 4 })
    await helpers.publishMany(tenantId, senderId, 4, { eventType: "silent" })
    await healthyDeliversWithin5s()
    const attempts = await recorded(destination.id, 4)
    for (const attempt of attempts) {
      expect(attempt).toMatchObject({ status: "failed", error: { code: "timeout" } })
      expect(attempt.durationMs).toBeGreaterThanOrEqual(900)
      expect(attempt.intent.status).toBe("retrying")
    }
  })

  it("records a connection reset in the middle of the body", async () => {
    const resetting = await rawReceiver((socket) => {
      socket.write("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\npartial body")
      setTimeout(() => socket.resetAndDestroy(), 20)
    })
    const destination = await hostileDestination(resetting.url, "reset")
    await helpers.publishMany(tenantId, senderId, 3, { eventType: "reset" })
    await healthyDeliversWithin5s()
    const attempts = await recorded(destination.id, 3)
    for (const attempt of attempts) {
      expect(attempt.status).toBe("failed")
      expect(attempt.error.code).toBe("connection_reset")
    }
  })
})
