import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * Open intents of a destination in exactly the order claims and sweeps read them (due time, then
 * publish order), so both stop after the rows they need instead of sorting a destination's backlog.
 */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(`
    DROP INDEX intents_due;
    CREATE INDEX intents_due ON delivery_intents (destination_id, next_attempt_at, seq)
      WHERE status IN ('pending', 'retrying');
  `)
})
