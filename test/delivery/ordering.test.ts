import { describe, expect, it } from "vitest"
import { eventually, seedTenant } from "../support/http"
import { type ReceivedRequest, type Responder, useReceivers } from "../support/receiver"
import { useTestServer } from "../support/server"
import { deliveryHelpers } from "./shared"

const running = useTestServer()
const receivers = useReceivers()

interface Delivered {
  readonly key: string
  readonly n: number
  /** Whether the receiver answered 2xx to this request. */
  readonly accepted: boolean
}

const bodyOf = (request: ReceivedRequest) => JSON.parse(request.body).payload as { key: string; n: number }

/**
 * Answers 500 to the first attempt of the payloads `failOnce` names (by `key:n`), 200 otherwise,
 * after a short pause, so concurrent requests would overlap if they were allowed to; records what
 * it answered in arrival order.
 */
const orderedReceiver = (failOnce: ReadonlySet<string>) => {
  const seen: Array<Delivered> = []
  const failed = new Set<string>()
  const inFlightByKey = new Map<string, number>()
  let overlapped = 0
  const responder: Responder = async (request, _index, response) => {
    const { key, n } = bodyOf(request)
    const inFlight = (inFlightByKey.get(key) ?? 0) + 1
    inFlightByKey.set(key, inFlight)
    if (inFlight > 1) overlapped++
    await new Promise((resolve) => setTimeout(resolve, 20))
    inFlightByKey.set(key, inFlightByKey.get(key)! - 1)
    const id = `${key}:${n}`
    const accepted = !failOnce.has(id) || failed.has(id)
    if (!accepted) failed.add(id)
    seen.push({ key, n, accepted })
    response.writeHead(accepted ? 200 : 500)
    response.end()
  }
  return { responder, seen, overlapped: () => overlapped }
}

describe("ordered (fifo) delivery", () => {
  it("delivers each ordering key in publish order, one at a time, retries included, while keys proceed in parallel", { timeout: 60_000 }, async () => {
    const { createDestination } = deliveryHelpers(running.client)
    const { tenantId, senderId } = await seedTenant(running.client)
    // b's second event fails once: b waits for its retry (1 s later), a and c do not.
    const receiver = orderedReceiver(new Set(["b:1"]))
    const hook = await receivers(receiver.responder)
    const destination = await createDestination(tenantId, hook.url, {
      ordering: "fifo",
      maxConcurrency: 3,
      retry: { type: "linear", delaySeconds: 1, maxAttempts: 5 }
    })
    expect(destination.ordering).toBe("fifo")
    const keys = ["a", "b", "c"]
    const perKey = 8
    const events = Array.from({ length: keys.length * perKey }, (_, i) => ({
      senderId,
      eventType: "payment.created",
      orderingKey: keys[i % keys.length],
      payload: { key: keys[i % keys.length], n: Math.floor(i / keys.length) }
    }))
    const response = await running.client.post(`/v1/tenants/${tenantId}/events/batch`, { events })
    expect(response.status).toBe(201)
    expect(response.body.items[0].orderingKey).toBe("a")

    await eventually(async () => receiver.seen.filter((entry) => entry.accepted).length === events.length || undefined, {
      timeoutMs: 45_000,
      what: "every event accepted"
    })
    for (const key of keys) {
      const sequence = receiver.seen.filter((entry) => entry.key === key)
      // in publish order, each one sent again only right after its own failure
      expect(sequence.map((entry) => entry.n)).toEqual(
        key === "b" ? [0, 1, 1, 2, 3, 4, 5, 6, 7] : [0, 1, 2, 3, 4, 5, 6, 7]
      )
    }
    expect(receiver.overlapped()).toBe(0)
    // a and c finished while b waited for its retry: the keys do not wait for one another
    const lastOf = (key: string) => receiver.seen.map((entry) => entry.key).lastIndexOf(key)
    expect(lastOf("a")).toBeLessThan(lastOf("b"))
    expect(lastOf("c")).toBeLessThan(lastOf("b"))
    // the default stays parallel
    const parallel = await createDestination(tenantId, hook.url, {})
    expect(parallel.ordering).toBe("none")
  })

  it("refuses an ordering it does not know and an empty ordering key with 400", async () => {
    const { tenantId, senderId } = await seedTenant(running.client)
    const hook = await receivers()
    const badOrdering = await running.client.post(`/v1/tenants/${tenantId}/destinations`, {
      name: "x",
      ordering: "lifo",
      variant: { type: "http_endpoint", url: hook.url, method: "POST" }
    })
    expect(badOrdering.status).toBe(400)
    expect(badOrdering.body.code).toBe("invalid_request")
    expect(badOrdering.body.message).toContain("ordering")
    const badKey = await running.client.post(`/v1/tenants/${tenantId}/events`, {
      senderId,
      eventType: "payment.created",
      orderingKey: "",
      payload: {}
    })
    expect(badKey.status).toBe(400)
    expect(badKey.body.code).toBe("invalid_request")
    expect(badKey.body.message).toContain("orderingKey")
  })
})
