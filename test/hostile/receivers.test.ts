/**
 * Hostile receivers: whatever bytes, sizes or silences a receiver answers with, every claimed intent
 * ends recorded, and a healthy destination in the same process has every delivery recorded meanwhile.
 */
import type { ServerResponse } from "node:http"
import { describe, expect, it } from "vitest"
import { eventually } from "../support/http"
import { useRawReceivers } from "../support/rawReceiver"
import type { Receiver } from "../support/receiver"
import { useHostileSetup } from "./shared"

const setup = useHostileSetup({ SIGNAL_CIRCUIT_FAILURE_THRESHOLD: "1000" })
const rawReceiver = useRawReceivers()

/** Attempts of a destination, oldest first. */
const attemptsTo = async (destinationId: string) =>
  (await setup.running.client.get(`/v1/tenants/${setup.tenantId}/attempts?destinationIds=${destinationId}&order=asc&limit=100`))
    .body.items as Array<any>

/** Waits until every intent of the destination has `count` recorded attempts in total (or more). */
const recorded = (destinationId: string, count: number, timeoutMs = 20_000) =>
  eventually(async () => {
    const attempts = await attemptsTo(destinationId)
    return attempts.length >= count ? attempts : undefined
  }, { timeoutMs, what: `${count} attempts to ${destinationId} to be recorded`, intervalMs: 100 })

/** A healthy destination, created once, delivering 20 events within 5 s while a hostile one is busy. */
let healthy: Receiver | undefined
const healthyDeliversWithin5s = async () => {
  if (healthy === undefined) {
    healthy = await setup.receiver()
    await setup.helpers.createDestination(setup.tenantId, healthy.url, { eventTypes: ["healthy"], maxConcurrency: 8 })
  }
  await setup.healthyDeliversWithin5s(healthy, "healthy")
}

/** A destination for `eventType` only, so each scenario's events go to its own hostile receiver. */
const hostileDestination = (url: string, eventType: string, fields: Record<string, unknown> = {}) =>
  setup.helpers.createDestination(setup.tenantId, url, {
    eventTypes: [eventType],
    retry: { type: "linear", delaySeconds: 3600, maxAttempts: 3 },
    ...fields
  })

describe("hostile receivers", () => {
  it("records a 2xx whose body holds NUL bytes, with a marker in their place", async () => {
    const hook = await setup.receiver((_request, _index, response: ServerResponse) => {
      response.writeHead(200, { "content-type": "text/plain" })
      response.end("ok\u0000\u0000after")
    })
    const destination = await hostileDestination(hook.url, "nul.body")
    await setup.helpers.publishMany(setup.tenantId, setup.senderId, 5, { eventType: "nul.body" })
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
    await setup.helpers.publishMany(setup.tenantId, setup.senderId, 3, { eventType: "nul.header" })
    await setup.helpers.publishMany(setup.tenantId, setup.senderId, 3, { eventType: "latin.header" })
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
    const hook = await setup.receiver((_request, _index, response: ServerResponse) => {
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
    await setup.helpers.publishMany(setup.tenantId, setup.senderId, 3, { eventType: "huge.body" })
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
    await setup.helpers.publishMany(setup.tenantId, setup.senderId, 4, { eventType: "silent" })
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
    await setup.helpers.publishMany(setup.tenantId, setup.senderId, 3, { eventType: "reset" })
    await healthyDeliversWithin5s()
    const attempts = await recorded(destination.id, 3)
    for (const attempt of attempts) {
      expect(attempt.status).toBe("failed")
      expect(attempt.error.code).toBe("connection_reset")
    }
  })
})
