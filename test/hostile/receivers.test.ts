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

/**
 * `count` events published to a hostile receiver at `url`, a healthy destination unharmed meanwhile,
 * and the hostile destination's attempts once every one is recorded.
 */
const attemptsOfHostile = async (url: string, eventType: string, count: number, fields: Record<string, unknown> = {}) => {
  // a destination for `eventType` only, so each scenario's events go to its own hostile receiver
  const destination = await setup.helpers.createDestination(setup.tenantId, url, {
    eventTypes: [eventType],
    retry: { type: "linear", delaySeconds: 3600, maxAttempts: 3 },
    ...fields
  })
  await setup.helpers.publishMany(setup.tenantId, setup.senderId, count, { eventType })
  await healthyDeliversWithin5s()
  return recorded(destination.id, count)
}

describe("hostile receivers", () => {
  it("records a 2xx whose body holds NUL bytes, with a marker in their place", async () => {
    const hook = await setup.receiver((_request, _index, response: ServerResponse) => {
      response.writeHead(200, { "content-type": "text/plain" })
      response.end("ok\u0000\u0000after")
    })
    const attempts = await attemptsOfHostile(hook.url, "nul.body", 5)
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
    // Node refuses a NUL inside a header value: a failed attempt with a stable code, retried later.
    const nulAttempts = await attemptsOfHostile(nulHeader.url, "nul.header", 3)
    for (const attempt of nulAttempts) {
      expect(attempt.status).toBe("failed")
      expect(attempt.error.code).toMatch(/^[a-z_]+$/)
      expect(attempt.intent.status).toBe("retrying")
    }
    const latinAttempts = await attemptsOfHostile(latinHeader.url, "latin.header", 3)
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
    const attempts = await attemptsOfHostile(hook.url, "huge.body", 3)
    for (const attempt of attempts) {
      expect(attempt.status).toBe("succeeded")
      expect(attempt.response.body.length).toBe(64 * 1024)
    }
  })

  it("times out a receiver that never answers, with the `timeout` code", async () => {
    const silent = await rawReceiver(() => {})
    const attempts = await attemptsOfHostile(silent.url, "silent", 4, { timeoutSeconds: 1, maxConcurrency: 4 })
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
    const attempts = await attemptsOfHostile(resetting.url, "reset", 3)
    for (const attempt of attempts) {
      expect(attempt.status).toBe("failed")
      expect(attempt.error.code).toBe("connection_reset")
    }
  })
})
