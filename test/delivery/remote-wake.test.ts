import { createDatabase } from "@signal/store/TestDatabase"
import { LISTENER_NAME } from "@signal/store/WakeNotices"
import { Effect } from "effect"
import pg from "pg"
import { afterAll, describe, expect, it } from "vitest"
import { type ClusterUnderTest, senderOf, shardsOf, startCluster } from "../fault/cluster"
import { eventually } from "../support/http"
import type { SignalProcess } from "../support/process"
import { deliveryHelpers, entitiesOf, NO_SWEEP } from "./shared"

/** Successful deliveries a dispatcher process made, from its `/metrics`. */
const deliveredBy = async (dispatcher: SignalProcess) => {
  const text = await (await fetch(`${dispatcher.url}/metrics`)).text()
  const line = /^signal_deliveries_total\{outcome="succeeded"\} (\d+)$/m.exec(text)
  return line === null ? 0 : Number(line[1])
}

/** The wake listeners of this test's processes (other tests' share the server, not the database). */
const OWN_LISTENERS = `WHERE application_name = '${LISTENER_NAME}' AND datname = current_database()`

/** The backends of the dispatchers' wake listeners, once they listen. */
const listeners = async (db: pg.Client) =>
  (await db.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity ${OWN_LISTENERS} AND query LIKE 'LISTEN%'`))
    .rows.map((row) => row.pid)

let cluster: ClusterUnderTest | undefined
let alone: ClusterUnderTest | undefined
let db: pg.Client | undefined
afterAll(() => Promise.all([cluster?.stop(), alone?.stop(), db?.end()]))

describe("wakes from a gateway process to two dispatchers", () => {
  it("reach the destinations of both runners through Postgres, without an entity, and again once a listener's connection is lost", async () => {
    const databaseUrl = await Effect.runPromise(createDatabase())
    cluster = await startCluster({ dispatchers: 2, databaseUrl, env: NO_SWEEP })
    db = new pg.Client({ connectionString: databaseUrl })
    await db.connect()
    const { client, dispatchers, receiver, tenantId } = cluster
    // A notice for a destination whose shard is moving is heard by no owner (the sweeper, out of reach
    // here, would find its work): publish once the shards stopped moving, for 1.5 s. The gauge counts
    // shards taken (one taken from another runner shows on the new owner only): the smaller one moves.
    let taken = 0
    let since = Date.now()
    await eventually(async () => {
      const [a, b] = await Promise.all(dispatchers.map(shardsOf))
      const smaller = Math.min(a, b)
      if (smaller !== taken) [taken, since] = [smaller, Date.now()]
      return taken > 0 && Date.now() - since >= 1_500 ? true : undefined
    }, { timeoutMs: 60_000, intervalMs: 100, what: "the shards split between both dispatchers, moving no more" })

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
    // Entities idle out after 10 s: a wake through the cluster would have left 20 of them.
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    expect(await Promise.all(dispatchers.map((dispatcher) => entitiesOf(dispatcher.url, "Destination")))).toEqual([0, 0])

    // Each dispatcher's listening connection ends (a Postgres restart or failover would end it too):
    // each listens again, and the next publish is woken as promptly.
    const before = await listeners(db)
    expect(before).toHaveLength(2)
    await db.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity ${OWN_LISTENERS}`)
    await eventually(async () => {
      const now = await listeners(db!)
      return now.length === 2 && now.every((pid) => !before.includes(pid)) ? true : undefined
    }, { intervalMs: 50, timeoutMs: 30_000, what: "both dispatchers listening again" })
    const again = Date.now()
    await publish(tenantId, senderId, { eventType: "single" })
    await eventually(async () => (receiver.requests.length >= 21 ? true : undefined), { intervalMs: 10, timeoutMs: 30_000 })
    expect(Date.now() - again).toBeLessThan(5_000)
    expect(receiver.requests.at(-1)!.path).toMatch(/\?d=single$/)
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    expect(await Promise.all(dispatchers.map((dispatcher) => entitiesOf(dispatcher.url, "Destination")))).toEqual([0, 0])
  }, 180_000)
})

describe("wakes from a gateway process with no dispatcher up", () => {
  it("are heard by no one, and the first dispatcher to start finds the work on its own", async () => {
    alone = await startCluster({ dispatchers: 0 })
    const { addDispatcher, client, receiver, tenantId } = alone
    const { createDestination, publish } = deliveryHelpers(client)
    const senderId = await senderOf(client)
    for (let i = 0; i < 10; i++) await createDestination(tenantId, `${receiver.url}?d=${i}`, { eventTypes: ["fan"] })
    await publish(tenantId, senderId, { eventType: "fan" })

    // Nothing was lost: a dispatcher that starts later finds the work by its sweep.
    await addDispatcher()
    await eventually(async () => (receiver.requests.length >= 10 ? true : undefined), { intervalMs: 100, timeoutMs: 90_000 })
    expect(new Set(receiver.requests.map((request) => request.path)).size).toBe(10)
  }, 180_000)
})
