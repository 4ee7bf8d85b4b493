import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"

/**
 * Room on every intent page for the versions a lease writes: taking and renewing a lease changes no
 * indexed column, so with free space on the page Postgres updates the row in place (a HOT update)
 * instead of adding an entry to each of the table's indexes. Applies to pages written from now on.
 */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(`ALTER TABLE delivery_intents SET (fillfactor = 70)`)
})
