import { afterEach, describe, expect, it } from "vitest"
import { type ClusterUnderTest, drainedAndSucceeded, senderOf, startCluster, untilDelivered } from "./cluster"

const DESTINATIONS = 20
const KEYS = 5
const PER_KEY = 40
const EVENTS = DESTINATIONS * KEYS * PER_KEY

let cluster: ClusterUnderTest | undefined
afterEach(async () => {
  await cluster?.stop()
  cluster = undefined
})

/** Each destination's events per ordering key, in the order the receiver got them. */
const sequences = (running: ClusterUnderTest) => {
  const byKey = new Map<string, Array<number>>()
  for (const request of running.receiver.requests) {
    const { key, n } = (JSON.parse(request.body) as { payload: { key: string; n: number } }).payload
    const id = `${request.path} ${key}`
    byKey.set(id, [...(byKey.get(id) ?? []), n])
  }
  return byKey
}

/**
 * 20 FIFO destinations, 5 interleaved keys each, 40 events per key published in batches while they
 * are delivered; a quarter of the way, one of the two dispatchers gets `signal`.
 */
const orderedThrough = async (signal: "SIGKILL" | "SIGTERM") => {
    const running = await startCluster({ dispatchers: 2 })
    cluster = running
    const senderId = await senderOf(running.client)
    for (let d = 0; d < DESTINATIONS; d++) {
      const response = await running.client.post(`/v1/tenants/${running.tenantId}/destinations`, {
        name: `fifo-${d}`,
        eventTypes: [`type.${d}`],
        ordering: "fifo",
        maxConcurrency: 4,
        variant: { type: "http_endpoint", url: `${running.receiver.url}?d=${d}` }
      })
      expect(response.status).toBe(201)
    }
    // Keys interleaved within each destination, published in batches while delivery runs.
    const events = Array.from({ length: EVENTS }, (_, i) => {
      const d = i % DESTINATIONS
      const key = `k${Math.floor(i / DESTINATIONS) % KEYS}`
      const n = Math.floor(i / (DESTINATIONS * KEYS))
      return { senderId, eventType: `type.${d}`, orderingKey: key, payload: { key, n } }
    })
    const publishing = (async () => {
      for (let start = 0; start < EVENTS; start += 500) {
        const response = await running.client.post(`/v1/tenants/${running.tenantId}/events/batch`, {
          events: events.slice(start, start + 500)
        })
        expect(response.status).toBe(201)
      }
    })()
    await untilDelivered(running.receiver, EVENTS / 4)
    running.dispatchers[0].kill(signal)
    await publishing
    await drainedAndSucceeded(running, 180_000)

    const byKey = sequences(running)
    expect(byKey.size).toBe(DESTINATIONS * KEYS)
    const expected = Array.from({ length: PER_KEY }, (_, n) => n)
    let repeats = 0
    for (const [id, received] of byKey) {
      // An event in flight at the kill may arrive twice, right after itself: never after a later one.
      const collapsed = received.filter((n, i) => i === 0 || n !== received[i - 1])
      repeats += received.length - collapsed.length
      expect(collapsed, id).toEqual(expected)
    }
    return { keys: byKey.size, repeats }
}

describe("ordered delivery across a dispatcher failure", () => {
  it("kill -9 of a dispatcher mid-run: every key's events still arrive in publish order", async () => {
    const { keys, repeats } = await orderedThrough("SIGKILL")
    console.log(`ordered delivery, kill -9 mid-run: ${EVENTS} events over ${keys} keys in order; ${repeats} repeated in place`)
  }, 300_000)

  it("SIGTERM of a dispatcher mid-run: every key's events arrive in publish order, none twice", async () => {
    const { keys, repeats } = await orderedThrough("SIGTERM")
    console.log(`ordered delivery, SIGTERM mid-run: ${EVENTS} events over ${keys} keys in order; ${repeats} repeated`)
    expect(repeats).toBe(0)
  }, 300_000)
})
