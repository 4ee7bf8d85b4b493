import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"

/**
 * Time windows over events, intents and attempts (lists, analytics, recoveries, retention) are read
 * through the `seq` indexes each list already has (`TimeWindow`), not through indexes on the times:
 * those cost every intent two entries at its insert and two more at its final update (about a fifth
 * of what an intent's insert costs Postgres), every attempt two, every event one at its insert and
 * one when its last delivery ends. Cursors and watermarks that
 * were times become seqs. A running recovery resumes from the first intent of its cursor's time
 * (intents of one batch share a time, their order by id is not their order by seq): an intent
 * already re-queued there may be re-queued once more, none is skipped.
 */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(`
    ALTER TABLE recovery_jobs ADD COLUMN cursor_seq bigint;
    UPDATE recovery_jobs j SET cursor_seq = COALESCE(
      (SELECT min(i.seq) - 1 FROM delivery_intents i WHERE i.destination_id = j.destination_id AND i.created_at >= j.cursor_at),
      (SELECT max(i.seq) FROM delivery_intents i WHERE i.destination_id = j.destination_id)
    ) WHERE j.state IN ('queued', 'running') AND j.cursor_at IS NOT NULL;
    ALTER TABLE recovery_jobs DROP COLUMN cursor_at, DROP COLUMN cursor_id;

    ALTER TABLE tenants DROP COLUMN response_bodies_pruned_before, ADD COLUMN response_bodies_pruned_seq bigint;

    DROP INDEX events_tenant_created, intents_tenant_created, intents_destination_created, attempts_tenant_started,
      attempts_destination_started;
  `)
})
