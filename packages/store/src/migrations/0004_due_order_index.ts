import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"

/**
 * Open intents of a destination in exactly the order claims read them (due time, then publish
 * order), so a claim stops after the rows it needs instead of sorting a destination's backlog; and
 * all open intents in due order, so a sweep reads the oldest due work first and nothing else.
 */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(`
    DROP INDEX intents_due;
    CREATE INDEX intents_due ON delivery_intents (destination_id, next_attempt_at, seq)
      WHERE status IN ('pending', 'retrying');
    CREATE INDEX intents_due_at ON delivery_intents (next_attempt_at) WHERE status IN ('pending', 'retrying');
  `)
})
