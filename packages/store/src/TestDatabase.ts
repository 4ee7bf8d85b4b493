import * as SqlClient from "@effect/sql/SqlClient"
import { randomBytes } from "node:crypto"
import { Config, Effect, Layer, Redacted } from "effect"
import { clientLayer } from "./Database"
import * as Migrations from "./Migrations"

/**
 * A fresh, migrated database on the test server (`SIGNAL_TEST_DATABASE_URL`, set by the test set-up),
 * so test files never see each other's rows.
 */
export const createDatabase = Effect.fn("TestDatabase.create")(function*() {
  const serverUrl = yield* Config.string("SIGNAL_TEST_DATABASE_URL")
  const name = `signal_test_${randomBytes(6).toString("hex")}`
  yield* Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql.unsafe(`CREATE DATABASE ${name}`)
  }).pipe(Effect.provide(clientLayer(Redacted.make(serverUrl))), Effect.scoped)
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return url.toString()
})

export const layer = Layer.unwrapEffect(
  Effect.map(createDatabase(), (url) => Layer.provideMerge(Migrations.layer, clientLayer(Redacted.make(url))))
).pipe(Layer.orDie)
