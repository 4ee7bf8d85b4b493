import { freePort } from "@signal/server/TestServer"
import * as TestDatabase from "@signal/store/TestDatabase"
import { Effect } from "effect"
import { expect } from "vitest"
import { api, type Api, eventually, seedTenant } from "../support/http"
import { spawnSignal, type SignalProcess } from "../support/process"
import { type Receiver, startReceiver } from "../support/receiver"

/** A gateway and dispatchers as real processes on one fresh database, with a loopback receiver. */
export interface ClusterUnderTest {
  readonly gateway: SignalProcess
  readonly dispatchers: Array<SignalProcess>
  readonly client: Api
  readonly receiver: Receiver
  readonly tenantId: string
  readonly addDispatcher: () => Promise<SignalProcess>
  readonly stop: () => Promise<void>
}

export const startCluster = async (options: {
  readonly dispatchers: number
  readonly databaseUrl?: string
  readonly env?: Record<string, string>
}): Promise<ClusterUnderTest> => {
  const databaseUrl = options.databaseUrl ?? await Effect.runPromise(TestDatabase.createDatabase())
  const common = {
    DATABASE_URL: databaseUrl,
    SIGNAL_ALLOW_PRIVATE_NETWORKS: "127.0.0.0/8",
    ...options.env
  }
  const processes: Array<SignalProcess> = []
  const addDispatcher = async () => {
    const dispatcher = await spawnSignal({
      ...common,
      SIGNAL_ROLE: "dispatcher",
      PORT: String(await freePort()),
      SIGNAL_RUNNER_PORT: String(await freePort())
    })
    processes.push(dispatcher)
    dispatchers.push(dispatcher)
    return dispatcher
  }
  const dispatchers: Array<SignalProcess> = []
  // the first process migrates; the others start once the schema exists
  const gateway = await spawnSignal({ ...common, SIGNAL_ROLE: "gateway", PORT: String(await freePort()) })
  processes.push(gateway)
  await Promise.all(Array.from({ length: options.dispatchers }, addDispatcher))
  const client = api(gateway.url)
  const { tenantId } = await seedTenant(client)
  const receiver = await startReceiver()
  return {
    gateway,
    dispatchers,
    client,
    receiver,
    tenantId,
    addDispatcher,
    stop: async () => {
      for (const process of processes) process.kill("SIGKILL")
      await receiver.close()
    }
  }
}

/** 200 destinations, each subscribed to its own event type, all pointing at the receiver. */
export const createDestinations = async (cluster: ClusterUnderTest, count: number) => {
  const ids: Array<string> = []
  for (let i = 0; i < count; i++) {
    const response = await cluster.client.post(`/v1/tenants/${cluster.tenantId}/destinations`, {
      name: `d${i}`,
      eventTypes: [`type.${i}`],
      maxConcurrency: 5,
      variant: { type: "http_endpoint", url: `${cluster.receiver.url}?d=${i}` }
    })
    expect(response.status).toBe(201)
    ids.push(response.body.id)
  }
  return ids
}

/** Publishes `total` events round-robin over the destinations' types, 1,000 per request. */
export const publishLoad = async (cluster: ClusterUnderTest, senderId: string, total: number, destinations: number) => {
  for (let start = 0; start < total; start += 1000) {
    const events = Array.from({ length: Math.min(1000, total - start) }, (_, k) => ({
      senderId,
      eventType: `type.${(start + k) % destinations}`,
      payload: { n: start + k }
    }))
    const response = await cluster.client.post(`/v1/tenants/${cluster.tenantId}/events/batch`, { events })
    expect(response.status).toBe(201)
  }
}

export const senderOf = async (client: Api) => {
  const response = await client.put("/v1/senders", { identifier: `load-${Date.now()}`, name: "load" })
  return response.body.id as string
}

/** Waits until nothing is pending or retrying, then checks every intent succeeded. */
export const drainedAndSucceeded = async (cluster: ClusterUnderTest, timeoutMs: number) => {
  await eventually(async () => {
    const open = await cluster.client.get(`/v1/tenants/${cluster.tenantId}/intents?status=pending,retrying&limit=1`)
    return open.status === 200 && open.body.items.length === 0 ? true : undefined
  }, { timeoutMs, intervalMs: 500, what: "all intents to finish" })
  const failed = await cluster.client.get(`/v1/tenants/${cluster.tenantId}/intents?status=failed&limit=5`)
  expect(failed.body.items).toEqual([])
}

/** Per webhook-id delivery counts as the receiver saw them. */
export const deliveryCounts = (receiver: Receiver) => {
  const counts = new Map<string, number>()
  for (const request of receiver.requests) {
    const id = String(request.headers["webhook-id"])
    counts.set(id, (counts.get(id) ?? 0) + 1)
  }
  return counts
}

/**
 * How long work that was waiting at `at` stayed undelivered: for each destination, the time from
 * `at` to its first delivery of an event published before `at`; the maximum. Destinations with
 * nothing waiting (idle between two publishes) do not count, so this measures the hand-over only.
 */
export const resumeTime = (receiver: Receiver, at: number) => {
  const firstWaiting = new Map<string, number>()
  for (const request of receiver.requests) {
    if (request.receivedAt <= at || firstWaiting.has(request.path)) continue
    const publishedAt = Date.parse((JSON.parse(request.body) as { createdAt: string }).createdAt)
    if (publishedAt < at) firstWaiting.set(request.path, request.receivedAt - at)
  }
  return Math.max(0, ...firstWaiting.values())
}

/** Shards @effect/cluster spreads over the dispatchers (its default). */
export const TOTAL_SHARDS = 300

/** The shards a dispatcher owns now, from its `/cluster` endpoint. */
export const shardsOf = async (dispatcher: SignalProcess) =>
  ((await (await fetch(`${dispatcher.url}/cluster`)).json()) as { shards: number }).shards

/** Milliseconds from `since` until `dispatcher` owns `count` shards. */
export const untilShards = async (dispatcher: SignalProcess, count: number, since: number, timeoutMs = 30_000) => {
  await eventually(async () => ((await shardsOf(dispatcher)) >= count ? true : undefined), {
    timeoutMs,
    intervalMs: 50,
    what: `${count} shards on ${dispatcher.url}`
  })
  return Date.now() - since
}

export const untilDelivered = (receiver: Receiver, count: number, timeoutMs = 60_000) =>
  eventually(async () => (receiver.requests.length >= count ? true : undefined), {
    timeoutMs,
    intervalMs: 100,
    what: `${count} deliveries`
  })

export { seedTenant }
