import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"

/**
 * One index of open intents by due time instead of two. `intents_open_status` (their status) was read
 * by no plan: without statistics on `status` the planner takes open intents for a small share of the
 * table, and counted them through `intents_due_at` or the tenants' status index, reading each row
 * from the table. Yet every intent published or retried wrote an entry into it. `intents_due_at` now
 * carries `status` instead, so the queue-depth count reads that index alone.
 */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(`
    CREATE INDEX intents_open_by_due ON delivery_intents (next_attempt_at) INCLUDE (status)
      WHERE status IN ('pending', 'retrying');
    DROP INDEX intents_due_at, intents_open_status;
    ALTER INDEX intents_open_by_due RENAME TO intents_due_at;
  `)
})
