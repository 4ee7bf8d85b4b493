import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"

/**
 * Payloads stored as the JSON text the gateway validated (`json`), not parsed into `jsonb`: Signal
 * never queries inside a payload, while parsing ~800 bytes into `jsonb` at every insert and printing
 * it back at every claim was a large share of Postgres's work per event. Receivers now get the
 * payload in its publisher's key order, compact, as the publish's answer shows it. The change
 * rewrites the table once.
 */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(`ALTER TABLE events ALTER COLUMN payload TYPE json USING payload::json`)
})
