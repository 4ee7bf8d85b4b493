import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import type { DestinationId } from "@signal/domain/Ids"
import { DESTINATION_VERSION, DestinationRepo } from "@signal/store/DestinationRepo"
import * as TestDatabase from "@signal/store/TestDatabase"
import { Deferred, Effect, Layer, Option, Queue, TestClock } from "effect"
import { DESTINATION_REFRESH, DestinationWatch } from "../src/DestinationWatch"
import { seedBacklog } from "./fixtures"

interface HeldRead {
  readonly release: Deferred.Deferred<void>
  readonly ended: Deferred.Deferred<void>
}

/** Each read of versions as it starts, held until the test lets it go on. */
const reads = Effect.runSync(Queue.unbounded<HeldRead>())

/**
 * Lets a held read go on and waits until Postgres has answered it: the refresh sleeps again only
 * after that, and a test clock moved before then would never wake it.
 */
const letGo = (read: HeldRead) => Effect.zipRight(Deferred.succeed(read.release, undefined), Deferred.await(read.ended))

const HeldRepo = Layer.effect(
  DestinationRepo,
  Effect.map(DestinationRepo, (repo) =>
    DestinationRepo.make({
      ...repo,
      versions: (ids) =>
        Effect.gen(function*() {
          const read: HeldRead = { release: yield* Deferred.make<void>(), ended: yield* Deferred.make<void>() }
          yield* Queue.offer(reads, read)
          yield* Deferred.await(read.release)
          return yield* Effect.ensuring(repo.versions(ids), Deferred.succeed(read.ended, undefined))
        })
    }))
).pipe(Layer.provide(DestinationRepo.Default))

const WatchLive = DestinationWatch.Default.pipe(
  Layer.provide(HeldRepo),
  Layer.provideMerge(TestDatabase.layer)
)

describe("DestinationWatch", () => {
  it.effect("tells a drain its destination was deleted only when a read found it gone", () =>
    Effect.gen(function*() {
      const watch = yield* DestinationWatch
      const sql = yield* SqlClient.SqlClient
      const [first, second] = yield* Effect.forEach([1, 2], () => seedBacklog({ url: "http://127.0.0.1:9/", intents: 0 }))
      const versionOf = (id: DestinationId) =>
        Effect.map(
          sql<{ version: string }>`SELECT ${sql.literal(DESTINATION_VERSION)} AS version FROM destinations WHERE id = ${id}`,
          (rows) => rows[0].version
        )
      const seen: Array<[DestinationId, boolean]> = []
      const watching = (id: DestinationId, version: string) =>
        watch.watch(id, { version: () => version, seen: (read) => void seen.push([id, Option.isSome(read)]) })

      watching(first.destinationId, yield* versionOf(first.destinationId))
      // A refresh reads the first destination; meanwhile the second's drain starts watching.
      yield* TestClock.adjust(DESTINATION_REFRESH)
      const firstRead = yield* Queue.take(reads)
      watching(second.destinationId, yield* versionOf(second.destinationId))
      yield* letGo(firstRead)
      // The next refresh starts once that one has ended, and reads both.
      yield* TestClock.adjust(DESTINATION_REFRESH)
      yield* letGo(yield* Queue.take(reads))
      yield* TestClock.adjust(DESTINATION_REFRESH)
      const thirdRead = yield* Queue.take(reads)
      expect(seen).toEqual([])

      // Deleted: its drain hears so at the next read.
      yield* sql`UPDATE destinations SET deleted_at = now() WHERE id = ${second.destinationId}`
      yield* letGo(thirdRead)
      // the next refresh starts once that one has ended
      yield* TestClock.adjust(DESTINATION_REFRESH)
      yield* Queue.take(reads)
      expect(seen).toEqual([[second.destinationId, false]])
    }).pipe(Effect.provide(WatchLive)))
})
