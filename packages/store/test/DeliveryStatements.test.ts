import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type * as Pg from "pg"
import { Pool } from "../src/Database"
import * as DeliveryStatements from "../src/DeliveryStatements"
import * as TestDatabase from "../src/TestDatabase"

const synchronousCommit = (client: Pg.PoolClient) =>
  client.query<{ synchronous_commit: string }>("SHOW synchronous_commit").then((r) => r.rows[0].synchronous_commit)

/** A claim of one destination with nothing due: the statement runs in full all the same. */
const claimNothing = (client: Pg.PoolClient) =>
  client.query(DeliveryStatements.claimMany.text, ["dst_none", "10", "1000000", "owner", "", new Date(), 30])

describe("DeliveryStatements.claimMany", () => {
  it.layer(TestDatabase.layer, { timeout: 120_000 })((it) => {
    it.effect("commits without waiting for the WAL flush, and leaves every other statement of the connection waiting", () =>
      Effect.gen(function*() {
        const pool = yield* Pool
        const client = yield* Effect.acquireRelease(Effect.promise(() => pool.connect()), (client) =>
          Effect.sync(() => client.release()))
        const seen = yield* Effect.promise(async () => {
          // The test server does not wait for flushes at all; this connection does, as production's do.
          await client.query("SET synchronous_commit = on")
          const before = await synchronousCommit(client)
          // Inside a transaction, the setting is visible once the claim ran, and ends with it.
          await client.query("BEGIN")
          await claimNothing(client)
          const inClaim = await synchronousCommit(client)
          await client.query("COMMIT")
          const afterTransaction = await synchronousCommit(client)
          // On its own (as the dispatcher runs it), the claim is its own transaction.
          await claimNothing(client)
          const afterStatement = await synchronousCommit(client)
          await client.query("RESET synchronous_commit")
          return { before, inClaim, afterTransaction, afterStatement }
        })
        expect(seen).toEqual({ before: "on", inClaim: "off", afterTransaction: "on", afterStatement: "on" })
      }).pipe(Effect.scoped))
  })
})
