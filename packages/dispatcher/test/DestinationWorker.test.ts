import { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import { describe, expect, it } from "@effect/vitest"
import { type AttemptOutcome, DeliveryQueue } from "@signal/store/DeliveryQueue"
import { IngestLoad } from "@signal/store/IngestLoad"
import { DestinationRepo } from "@signal/store/DestinationRepo"
import * as TestDatabase from "@signal/store/TestDatabase"
import { Clock, Deferred, Effect, Layer, Option, TestClock } from "effect"
import { DestinationDrains } from "../src/DestinationDrains"
import { DestinationWatch } from "../src/DestinationWatch"
import { DispatcherConfig } from "../src/DispatcherConfig"
import { HttpSender } from "../src/HttpSender"
import { LeaseKeeper } from "../src/LeaseKeeper"
import { OutcomeWriter } from "../src/OutcomeWriter"
import { SsrfGuard } from "../src/SsrfGuard"
import { countingReceiver, eventually, realSleep, seedBacklog } from "./fixtures"

const COOL_DOWN_MS = 30_000

const config = Layer.succeed(DispatcherConfig, {
  maxSleepMs: 60_000,
  sweepIntervalMs: 1_000,
  circuitFailureThreshold: 2,
  circuitFailureRatio: 0.5,
  circuitCoolDownMs: COOL_DOWN_MS,
  autoDisableAfterMs: 24 * 60 * 60 * 1000,
  leaseMs: 4_000,
  claimMaxBytes: 4 * 1024 * 1024,
  maxDrainingDestinations: 256,
  clusterPruneIntervalMs: 600_000,
  clusterRetentionMs: 3_600_000
})

/** How often the worker asked Postgres for work: an idle circuit must not ask at all. */
let claims = 0
const CountedQueue = Layer.effect(
  DeliveryQueue,
  Effect.map(DeliveryQueue, (queue) =>
    DeliveryQueue.make({
      ...queue,
      claim: (request) => Effect.suspend(() => {
        claims++
        return queue.claim(request)
      }),
      claimMany: (requests) => Effect.suspend(() => {
        claims += requests.length
        return queue.claimMany(requests)
      })
    }))
).pipe(Layer.provide(DeliveryQueue.Default))

const WorkerLive = DestinationDrains.Default.pipe(
  Layer.provideMerge(Layer.mergeAll(
    HttpSender.Default.pipe(Layer.provide(SsrfGuard.layer(["127.0.0.0/8"]))),
    DestinationWatch.Default,
    LeaseKeeper.Default
  )),
  Layer.provideMerge(Layer.mergeAll(DestinationRepo.Default, config)),
  Layer.provideMerge(Layer.merge(Layer.provideMerge(OutcomeWriter.Default, CountedQueue), IngestLoad.Default)),
  Layer.provideMerge(TestDatabase.layer)
)

const count = (query: (sql: SqlClient.SqlClient) => Effect.Effect<ReadonlyArray<{ n: number }>, unknown>) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => Effect.map(Effect.orDie(query(sql)), (rows) => rows[0].n))

describe("DestinationWorker with an open circuit", () => {
  it.effect("sleeps until the probe time, holding no leases, then sends one probe at a time", () =>
    Effect.gen(function*() {
      let status = 500
      const receiver = yield* countingReceiver(() => status)
      const { destinationId } = yield* seedBacklog({ url: receiver.url, intents: 40 })
      const leased = count((sql) =>
        sql<{ n: number }>`SELECT count(*)::int AS n FROM delivery_intents WHERE destination_id = ${destinationId} AND lease_owner IS NOT NULL`
      )
      const attempts = count((sql) =>
        sql<{ n: number }>`SELECT count(*)::int AS n FROM delivery_attempts WHERE destination_id = ${destinationId}`
      )
      const drains = yield* DestinationDrains
      yield* drains.wakeOwned([destinationId])

      // Two failures open the circuit; the rest of the claimed batch goes back unattempted.
      yield* eventually(Effect.map(Effect.zip(attempts, leased), ([made, held]) => made === 2 && held === 0), "the circuit to open")
      yield* realSleep(300)
      expect(receiver.requests()).toBe(2)

      // Through the whole cool-down: nothing sent, nothing claimed, wakes or not.
      const claimsWhenOpened = claims
      yield* TestClock.adjust(COOL_DOWN_MS - 1_000)
      yield* drains.wakeOwned([destinationId])
      yield* realSleep(300)
      expect(receiver.requests()).toBe(2)
      expect(yield* leased).toBe(0)
      expect(claims).toBe(claimsWhenOpened)

      // Past it: exactly one probe, claimed alone; it fails, so the circuit opens again for another cool-down.
      yield* TestClock.adjust(1_001)
      yield* eventually(Effect.map(attempts, (made) => made === 3), "the probe")
      yield* realSleep(300)
      expect(receiver.requests()).toBe(3)
      expect(yield* leased).toBe(0)
      expect(claims).toBe(claimsWhenOpened + 1)

      // The next probe succeeds: the circuit closes and the backlog drains.
      status = 200
      yield* TestClock.adjust(COOL_DOWN_MS)
      yield* eventually(Effect.map(attempts, (made) => made === 3 + 37), "the backlog to drain")
      expect(receiver.requests()).toBe(40)
      expect(yield* leased).toBe(0)
    }).pipe(Effect.provide(WorkerLive), Effect.scoped))
})

describe("owner-checked completion", () => {
  const outcome = (claim: AttemptOutcome["claim"], succeeded: boolean, at: Date): AttemptOutcome => ({
    claim,
    attemptId: `att_${claim.leaseOwner.replace(/\W/g, "")}${claim.intentId.slice(4, 20)}`,
    succeeded,
    response: { statusCode: succeeded ? 200 : 500, headers: {}, body: "" },
    error: succeeded ? null : { code: "http_status", message: "receiver answered 500" },
    startedAt: at,
    completedAt: at,
    next: succeeded ? { status: "succeeded" } : { status: "retrying", at: new Date(at.getTime() + 60_000) }
  })

  it.effect("a writer whose lease lapsed and was taken over records its attempt and changes nothing else", () =>
    Effect.gen(function*() {
      const queue = yield* DeliveryQueue
      const sql = yield* SqlClient.SqlClient
      const { destinationId, intentIds } = yield* seedBacklog({ url: "http://127.0.0.1:9/unused", intents: 1 })
      const claimAs = (owner: string) =>
        queue.claim({ destinationId, limit: 10, maxBytes: 1_000_000, leaseMs: 4_000, owner, held: [] }).pipe(
          Effect.map((claim) => claim.intents)
        )

      const [first] = yield* claimAs("worker-a")
      expect(first.intentId).toBe(intentIds[0])
      // While A's lease runs, nobody else can claim the intent.
      expect(yield* claimAs("worker-b")).toHaveLength(0)

      // A stalls past its lease (a database pause, a shard move); B takes the intent over.
      yield* TestClock.adjust(5_000)
      const [second] = yield* claimAs("worker-b")
      expect(second.intentId).toBe(first.intentId)

      // A's late success and lease renewal land first: its attempt is stored, the intent stays B's.
      const now = new Date(yield* Clock.currentTimeMillis)
      yield* queue.extendLeases([first.intentId], ["worker-a"], 4_000)
      yield* queue.complete([outcome(first, true, now)])
      const afterA = yield* sql<{ status: string; lease_owner: string | null; attempt_count: number }>`
        SELECT status, lease_owner, attempt_count FROM delivery_intents WHERE id = ${first.intentId}`
      expect(afterA[0]).toEqual({ status: "pending", lease_owner: "worker-b", attempt_count: 0 })

      // B's outcome is the one that moves the intent on.
      yield* queue.complete([outcome(second, false, now)])
      const afterB = yield* sql<{ status: string; lease_owner: string | null; attempt_count: number }>`
        SELECT status, lease_owner, attempt_count FROM delivery_intents WHERE id = ${first.intentId}`
      expect(afterB[0]).toEqual({ status: "retrying", lease_owner: null, attempt_count: 1 })
      const stored = yield* sql<{ status: string }>`
        SELECT status FROM delivery_attempts WHERE intent_id = ${first.intentId} ORDER BY status DESC`
      expect(stored.map((row) => row.status)).toEqual(["succeeded", "failed"])
    }).pipe(Effect.provide(Layer.provideMerge(DeliveryQueue.Default, TestDatabase.layer))))
})

describe("OutcomeWriter", () => {
  it.effect("writes the rest of a batch when one outcome is refused for its content, and fails only that one", () =>
    Effect.gen(function*() {
      const queue = yield* DeliveryQueue
      const writer = yield* OutcomeWriter
      const sql = yield* SqlClient.SqlClient
      const { destinationId } = yield* seedBacklog({ url: "http://127.0.0.1:9/unused", intents: 3 })
      const { intents: claims } = yield* queue.claim({ destinationId, limit: 10, maxBytes: 1_000_000, leaseMs: 60_000, owner: "w", held: [] })
      expect(claims).toHaveLength(3)
      const at = new Date(yield* Clock.currentTimeMillis)
      const outcomes = claims.map((claim, i): AttemptOutcome => ({
        claim,
        // the second reuses an attempt id that already exists: a permanent refusal (unique violation)
        attemptId: i === 1 ? "att_taken0000000000000000000000" : `att_ok${i}000000000000000000000000`,
        succeeded: true,
        response: { statusCode: 200, headers: { "x-nul": "a\u0000b" }, body: "ok\u0000" },
        error: null,
        startedAt: at,
        completedAt: at,
        next: { status: "succeeded" }
      }))
      yield* queue.complete([{ ...outcomes[1], attemptId: "att_taken0000000000000000000000", claim: { ...claims[1], leaseOwner: "nobody" } }])
      const written = yield* Effect.forEach(outcomes, () => Deferred.make<void, SqlError>())
      writer.submit(outcomes.map((outcome, i) => ({ outcome, written: (exit) => Deferred.unsafeDone(written[i], exit) })))
      const exits = yield* Effect.forEach(written, (done) => Effect.exit(Deferred.await(done)))
      expect(exits.map((exit) => exit._tag)).toEqual(["Success", "Failure", "Success"])
      const stored = yield* sql<{ id: string; intent_status: string; body: string; headers: unknown }>`
        SELECT a.id, i.status AS intent_status, a.response_body AS body, a.response_headers AS headers
        FROM delivery_attempts a JOIN delivery_intents i ON i.id = a.intent_id
        WHERE a.id IN ('att_ok0000000000000000000000000', 'att_ok2000000000000000000000000') ORDER BY a.id`
      expect(stored).toEqual([
        { id: "att_ok0000000000000000000000000", intent_status: "succeeded", body: "ok\uFFFD", headers: { "x-nul": "a\uFFFDb" } },
        { id: "att_ok2000000000000000000000000", intent_status: "succeeded", body: "ok\uFFFD", headers: { "x-nul": "a\uFFFDb" } }
      ])
    }).pipe(Effect.provide(Layer.provideMerge(Layer.provideMerge(OutcomeWriter.Default, DeliveryQueue.Default), TestDatabase.layer))))
})

describe("claims", () => {
  it.effect("are bounded by payload bytes as well as rows, and always bring at least one intent", () =>
    Effect.gen(function*() {
      const queue = yield* DeliveryQueue
      const sql = yield* SqlClient.SqlClient
      const { destinationId } = yield* seedBacklog({ url: "http://127.0.0.1:9/unused", intents: 10 })
      yield* sql`
        UPDATE events SET payload = jsonb_build_object('blob', repeat('x', 100000))
        WHERE id IN (SELECT event_id FROM delivery_intents WHERE destination_id = ${destinationId})`
      const claimAs = (owner: string, maxBytes: number) =>
        queue.claim({ destinationId, limit: 10, maxBytes, leaseMs: 60_000, owner, held: [] }).pipe(
          Effect.map((claim) => claim.intents)
        )
      // ~100 KB each: the third starts below 250 KB, the fourth would start above it
      const first = yield* claimAs("a", 250_000)
      expect(first).toHaveLength(3)
      expect(first.every((claim) => claim.event.payloadJson.length > 100_000)).toBe(true)
      expect(yield* claimAs("b", 1)).toHaveLength(1)
      expect(yield* claimAs("c", 100_000_000)).toHaveLength(6)
    }).pipe(Effect.provide(Layer.provideMerge(DeliveryQueue.Default, TestDatabase.layer))))

  it.effect("tell the destination's version as of the claim and when the work left falls due", () =>
    Effect.gen(function*() {
      const queue = yield* DeliveryQueue
      const destinations = yield* DestinationRepo
      const sql = yield* SqlClient.SqlClient
      const { destinationId, intentIds } = yield* seedBacklog({ url: "http://127.0.0.1:9/unused", intents: 4 })
      const now = yield* Clock.currentTimeMillis
      // Two due, one due in a minute, one in an hour: a claim of one leaves a due one behind.
      yield* sql`UPDATE delivery_intents SET next_attempt_at = ${new Date(now + 60_000)} WHERE id = ${intentIds[2]}`
      yield* sql`UPDATE delivery_intents SET next_attempt_at = ${new Date(now + 3_600_000)} WHERE id = ${intentIds[3]}`
      const claimAs = (owner: string, limit: number, held: ReadonlyArray<string> = []) =>
        queue.claim({ destinationId, limit, maxBytes: 1_000_000, leaseMs: 60_000, owner, held: held as never })
      const read = yield* destinations.forDelivery(destinationId)
      const version = read.pipe(Option.map((destination) => destination.version), Option.getOrThrow)

      const first = yield* claimAs("a", 1)
      expect(first.intents).toHaveLength(1)
      expect(first.destinationVersion).toBe(version)
      expect(first.nextDueAt?.getTime()).toBeLessThanOrEqual(now)
      const second = yield* claimAs("a", 10, [first.intents[0].intentId])
      expect(second.intents).toHaveLength(1)
      // Leased (by either claim) or held, an intent is not what falls due next: the minute's one is.
      expect(second.nextDueAt?.getTime()).toBe(now + 60_000)

      // Any write to the destination changes its version, the breaker's included (which tells the
      // versions around it, so a drain can keep its settings); deleted, it has none.
      const health = yield* destinations.recordHealth(destinationId, { state: "closed", consecutiveFailures: 1, openedAt: null, failing: true })
      const afterHealth = yield* claimAs("b", 10)
      expect(afterHealth.intents).toHaveLength(0)
      expect(afterHealth.destinationVersion).not.toBe(version)
      expect(Option.getOrThrow(health)).toEqual({ before: version, after: afterHealth.destinationVersion })
      yield* sql`UPDATE destinations SET deleted_at = now() WHERE id = ${destinationId}`
      expect((yield* claimAs("b", 10)).destinationVersion).toBeNull()
    }).pipe(Effect.provide(Layer.provideMerge(
      Layer.merge(DeliveryQueue.Default, DestinationRepo.Default),
      TestDatabase.layer
    ))))
})
