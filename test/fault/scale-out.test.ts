import { afterEach, describe, expect, it } from "vitest"
import {
  type ClusterUnderTest,
  createDestinations,
  deliveryCounts,
  drainedAndSucceeded,
  publishLoad,
  resumeTime,
  senderOf,
  shardsOf,
  startCluster,
  TOTAL_SHARDS,
  untilDelivered,
  untilShards
} from "./cluster"

const EVENTS = 20_000
const DESTINATIONS = 200

let cluster: ClusterUnderTest | undefined
afterEach(async () => {
  await cluster?.stop()
  cluster = undefined
})

/** 1 gateway + 2 dispatchers, 200 destinations and 20,000 events being published; once `fraction` arrived. */
const underLoad = async (fraction: number) => {
  const running = await startCluster({ dispatchers: 2 })
  cluster = running
  const senderId = await senderOf(running.client)
  await createDestinations(running, DESTINATIONS)
  const publishing = publishLoad(running, senderId, EVENTS, DESTINATIONS)
  await untilDelivered(running.receiver, EVENTS * fraction)
  return { running, publishing }
}

describe("scale-out: 1 gateway + dispatchers as separate processes", () => {
  it("kill -9 of a dispatcher mid-load: every intent succeeds, duplicates only for in-flight deliveries", async () => {
    const { running, publishing } = await underLoad(0.25)
    const killedAt = Date.now()
    running.dispatchers[0].kill("SIGKILL")
    const takeover = await untilShards(running.dispatchers[1], TOTAL_SHARDS, killedAt)
    await publishing
    await drainedAndSucceeded(running, 120_000)
    const counts = deliveryCounts(running.receiver)
    const duplicates = running.receiver.requests.length - counts.size
    const resume = resumeTime(running.receiver, killedAt)
    console.log(
      `kill -9: shards taken over after ${takeover} ms, waiting deliveries resumed after ${resume} ms, ` +
        `${duplicates} duplicate deliveries of ${EVENTS}`
    )
    expect(counts.size).toBe(EVENTS)
    // only deliveries in flight at the kill can repeat: at most 5 per destination, each at most twice
    expect(duplicates).toBeLessThanOrEqual(DESTINATIONS * 5)
    expect(Math.max(...counts.values())).toBeLessThanOrEqual(2)
    expect(takeover).toBeLessThanOrEqual(10_000)
    expect(resume).toBeLessThanOrEqual(10_000)
  }, 240_000)

  it("SIGTERM of a dispatcher mid-load: no duplicates at all, a prompt exit and hand-over", async () => {
    const { running, publishing } = await underLoad(0.25)
    const stoppedAt = Date.now()
    running.dispatchers[0].kill("SIGTERM")
    const [exitCode, exitedAfter, handover] = await Promise.all([
      running.dispatchers[0].exited,
      running.dispatchers[0].exited.then(() => Date.now() - stoppedAt),
      untilShards(running.dispatchers[1], TOTAL_SHARDS, stoppedAt)
    ])
    await publishing
    await drainedAndSucceeded(running, 120_000)
    const counts = deliveryCounts(running.receiver)
    const resume = resumeTime(running.receiver, stoppedAt)
    console.log(
      `SIGTERM: exited after ${exitedAfter} ms (code ${exitCode}), shards handed over after ${handover} ms, ` +
        `waiting deliveries resumed after ${resume} ms`
    )
    expect(counts.size).toBe(EVENTS)
    expect(running.receiver.requests.length).toBe(EVENTS)
    expect(exitCode).toBe(0)
    expect(exitedAfter).toBeLessThanOrEqual(5_000)
    // the other dispatcher owns every shard within 5 s; work waiting on the stopped one's
    // destinations follows as the survivor, now serving all 200, starts their entities at once
    expect(handover).toBeLessThanOrEqual(5_000)
    expect(resume).toBeLessThanOrEqual(15_000)
  }, 240_000)

  it("a third dispatcher joining mid-load takes shards and nothing is lost", async () => {
    const { running, publishing } = await underLoad(0.2)
    const third = await running.addDispatcher()
    const joinedAt = Date.now()
    await untilShards(third, 1, joinedAt, 20_000)
    const shards = await shardsOf(third)
    await publishing
    await drainedAndSucceeded(running, 120_000)
    const counts = deliveryCounts(running.receiver)
    console.log(`join: third dispatcher took ${shards} shards`)
    expect(shards).toBeGreaterThan(0)
    // a dispatcher's /metrics shows the shards it runs, labelled with its runner address
    const metrics = await (await fetch(`${third.url}/metrics`)).text()
    const runnerShards = /^signal_runner_shards\{runner="[^"]+"\} (\d+)$/m.exec(metrics)
    expect(Number(runnerShards?.[1])).toBeGreaterThan(0)
    expect(counts.size).toBe(EVENTS)
    expect(Math.max(...counts.values())).toBeLessThanOrEqual(2)
  }, 240_000)
})
