import { afterAll, describe, expect, it } from "vitest"
import { type ClusterUnderTest, senderOf, shardsOf, startCluster, TOTAL_SHARDS } from "../fault/cluster"
import { eventually } from "../support/http"
import type { SignalProcess } from "../support/process"
import { deliveryHelpers, entitiesOf, NO_SWEEP } from "./shared"

/** Successful deliveries a dispatcher process made, from its `/metrics`. */
const deliveredBy = async (dispatcher: SignalProcess) => {
  const text = await (await fetch(`${dispatcher.url}/metrics`)).text()
  const line = /^signal_deliveries_total\{outcome="succeeded"\} (\d+)$/m.exec(text)
  return line === null ? 0 : Number(line[1])
}

let cluster: ClusterUnderTest | undefined
let alone: ClusterUnderTest | undefined
afterAll(() => Promise.all([cluster?.stop(), alone?.stop()]))

describe("wakes from a gateway process to two dispatchers", () => {
  it("a fan-out reaches the destinations of both runners in one message per runner; a single wake through its entity", async () => {
    cluster = await startCluster({ dispatchers: 2, env: NO_SWEEP })
    const { client, dispatchers, receiver, tenantId } = cluster
    await eventually(async () => {
      // the gauge counts shards taken (one taken from another runner shows on the new owner only)
      const [a, b] = await Promise.all(dispatchers.map(shardsOf))
      return a > 0 && b > 0 && a < TOTAL_SHARDS + 1 ? true : undefined
    }, { timeoutMs: 60_000, intervalMs: 100, what: "the shards split between both dispatchers" })
    // the gateway learns the assignments every 500 ms
    await new Promise((resolve) => setTimeout(resolve, 1_500))

    const { createDestination, publish } = deliveryHelpers(client)
    const senderId = await senderOf(client)
    // 20 destinations take "fan"; over 300 shards split in two, both runners own some of them
    for (let i = 0; i < 20; i++) await createDestination(tenantId, `${receiver.url}?d=${i}`, { eventTypes: ["fan"] })
    await createDestination(tenantId, `${receiver.url}?d=single`, { eventTypes: ["single"] })

    const publishedAt = Date.now()
    await publish(tenantId, senderId, { eventType: "fan" })
    await eventually(async () => (receiver.requests.length >= 20 ? true : undefined), { intervalMs: 10, timeoutMs: 30_000 })
    // far below the sweeper's period: every destination was woken, on either runner
    expect(Date.now() - publishedAt).toBeLessThan(5_000)
    expect(new Set(receiver.requests.map((request) => request.path)).size).toBe(20)
    expect(await deliveredBy(dispatchers[0])).toBeGreaterThan(0)
    expect(await deliveredBy(dispatchers[1])).toBeGreaterThan(0)
    // Entities idle out after 5 to 10 s: a message per destination would have left 20 of them.
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    const perDestination = await Promise.all(dispatchers.map((dispatcher) => entitiesOf(dispatcher.url, "Destination")))
    const batches = await Promise.all(dispatchers.map((dispatcher) => entitiesOf(dispatcher.url, "DestinationWakes")))
    expect(perDestination).toEqual([0, 0])
    // one batch entity per runner: the gateway's message, and the one it passed the rest on with
    expect(batches).toEqual([1, 1])

    // One destination: its wake goes to its own entity, on whichever runner owns it.
    const again = Date.now()
    await publish(tenantId, senderId, { eventType: "single" })
    await eventually(async () => (receiver.requests.length >= 21 ? true : undefined), { intervalMs: 10, timeoutMs: 30_000 })
    expect(Date.now() - again).toBeLessThan(5_000)
    expect(receiver.requests.at(-1)!.path).toMatch(/\?d=single$/)
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    const after = await Promise.all(dispatchers.map((dispatcher) => entitiesOf(dispatcher.url, "Destination")))
    expect(after[0] + after[1]).toBe(1)
  }, 180_000)
})

describe("wakes from a gateway process with no dispatcher up", () => {
  it("a fan-out's wake gives up as one message, not one per destination, and the sweeper delivers once a dispatcher starts", async () => {
    alone = await startCluster({ dispatchers: 0, env: { SIGNAL_LOG_LEVEL: "debug" } })
    const { addDispatcher, client, gateway, receiver, tenantId } = alone
    const { createDestination, publish } = deliveryHelpers(client)
    const senderId = await senderOf(client)
    for (let i = 0; i < 10; i++) await createDestination(tenantId, `${receiver.url}?d=${i}`, { eventTypes: ["fan"] })
    await publish(tenantId, senderId, { eventType: "fan" })

    const givenUp = () => gateway.output().split("wake not sent").length - 1
    // No runner takes the message: it times out after 3 s and is left to the sweeper.
    await eventually(async () => (givenUp() > 0 ? true : undefined), { intervalMs: 100, timeoutMs: 30_000 })
    // Past a second timeout: wakes sent again one per destination would each have given up by now.
    await new Promise((resolve) => setTimeout(resolve, 4_500))
    expect(givenUp()).toBe(1)

    // Nothing was lost: a dispatcher that starts later finds the work on its own.
    await addDispatcher()
    await eventually(async () => (receiver.requests.length >= 10 ? true : undefined), { intervalMs: 100, timeoutMs: 90_000 })
    expect(new Set(receiver.requests.map((request) => request.path)).size).toBe(10)
  }, 180_000)
})
