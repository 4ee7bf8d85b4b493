import { describe, expect, it } from "@effect/vitest"
import type { IntentId } from "@signal/domain/Ids"
import { DeliveryQueue } from "@signal/store/DeliveryQueue"
import { HEAVY_HOLD_MS, IngestLoad } from "@signal/store/IngestLoad"
import * as TestDatabase from "@signal/store/TestDatabase"
import { Effect, Layer } from "effect"
import { ClaimBatcher } from "../src/ClaimBatcher"
import { seedBacklog } from "./fixtures"

/** Claim statements sent, and the requests each carried. */
const statements: Array<number> = []
const CountedQueue = Layer.effect(
  DeliveryQueue,
  Effect.map(DeliveryQueue, (queue) =>
    DeliveryQueue.make({
      ...queue,
      claimMany: (requests) => Effect.suspend(() => {
        statements.push(requests.length)
        return queue.claimMany(requests)
      })
    }))
).pipe(Layer.provide(DeliveryQueue.Default))

const BatcherLive = ClaimBatcher.Default.pipe(
  Layer.provideMerge(Layer.merge(CountedQueue, IngestLoad.Default)),
  Layer.provideMerge(TestDatabase.layer)
)

describe("ClaimBatcher", () => {
  it.effect("gathers the claims that arrive while statements are in flight into one, each answered with its own", () =>
    Effect.gen(function*() {
      const batcher = yield* ClaimBatcher
      const seeded = yield* Effect.forEach(
        Array.from({ length: 8 }, () => undefined),
        () => seedBacklog({ url: "http://127.0.0.1:9/unused", intents: 3 })
      )
      statements.length = 0
      const claims = yield* Effect.forEach(seeded, ({ destinationId }, i) =>
        batcher.claim({
          destinationId,
          // the first destination asks for fewer than it has: the rest is due now
          limit: i === 0 ? 2 : 10,
          maxBytes: 1_000_000,
          leaseMs: 60_000,
          owner: `owner-${i}`,
          held: []
        }), { concurrency: "unbounded" })

      // The first goes out at once; the seven that arrive meanwhile share the next statement.
      expect(statements).toEqual([1, 7])
      claims.forEach((claim, i) => {
        const expected = i === 0 ? seeded[i].intentIds.slice(0, 2) : seeded[i].intentIds
        expect(claim.intents.map((intent) => intent.intentId)).toEqual([...expected].sort())
        expect(claim.intents.every((intent) => intent.leaseOwner === `owner-${i}`)).toBe(true)
        expect(claim.destinationVersion).not.toBeNull()
        expect(claim.nextDueAt === null).toBe(i !== 0)
      })

      // Held intents are not claimed again, leased ones neither: nothing is left for a second round.
      const again = yield* Effect.forEach(seeded, ({ destinationId }, i) =>
        batcher.claim({
          destinationId,
          limit: 10,
          maxBytes: 1_000_000,
          leaseMs: 60_000,
          owner: `owner-${i}`,
          held: claims[i].intents.map((intent) => intent.intentId) as Array<IntentId>
        }), { concurrency: "unbounded" })
      expect(again.map((claim) => claim.intents.length)).toEqual([1, 0, 0, 0, 0, 0, 0, 0])
    }).pipe(Effect.provide(BatcherLive)))

  it.live("claims in small steps while ingest in the process is heavy, and in full once it is not", () =>
    Effect.gen(function*() {
      const batcher = yield* ClaimBatcher
      const load = yield* IngestLoad
      const seeded = yield* Effect.forEach(
        Array.from({ length: 10 }, () => undefined),
        () => seedBacklog({ url: "http://127.0.0.1:9/unused", intents: 6 })
      )
      const claimAll = Effect.forEach(seeded, ({ destinationId }, i) =>
        batcher.claim({ destinationId, limit: 10, maxBytes: 1_000_000, leaseMs: 60_000, owner: `owner-${i}`, held: [] }), {
        concurrency: "unbounded"
      })

      load.begin(1_000) // a bulk load in progress
      statements.length = 0
      const small = yield* claimAll
      // at most 8 destinations per statement, 4 intents each, the rest left due for later
      expect(statements).toEqual([1, 8, 1])
      expect(small.map((claim) => claim.intents.length)).toEqual(Array(10).fill(4))
      expect(small.every((claim) => claim.nextDueAt !== null)).toBe(true)

      load.end(1_000)
      yield* Effect.sleep(HEAVY_HOLD_MS + 50)
      statements.length = 0
      const rest = yield* claimAll
      // wide statements again
      expect(statements.reduce((sum, n) => sum + n, 0)).toBe(10)
      expect(Math.max(...statements)).toBeGreaterThan(8)
      expect(rest.map((claim) => claim.intents.length)).toEqual(Array(10).fill(2))
    }).pipe(Effect.provide(BatcherLive)))
})
