import type * as Statement from "@effect/sql/Statement"
import type { SqlClient } from "@effect/sql/SqlClient"

/**
 * CTEs that re-open finished intents for new attempts, due now, attempt numbers continuing and ids
 * (the `webhook-id`) kept: `picked` must select `id, status` of locked intents. Each event
 * gives back the outcomes its re-opened intents had and is pending again. Intents not finished are
 * left alone, so nothing already on its way is queued twice. Ends with the CTE `updated` (id).
 */
export const reopenIntents = (sql: SqlClient, picked: Statement.Fragment) =>
  sql`picked AS (${picked}), updated AS (
      UPDATE delivery_intents i SET
        status = CASE WHEN i.attempt_count = 0 THEN 'pending' ELSE 'retrying' END,
        next_attempt_at = now(), updated_at = now()
      FROM picked WHERE i.id = picked.id AND picked.status IN ('succeeded', 'failed')
      RETURNING i.id, i.event_id, picked.status AS previous_status
    ), counts AS (
      SELECT event_id, count(*) FILTER (WHERE previous_status = 'succeeded')::int AS succeeded,
        count(*) FILTER (WHERE previous_status = 'failed')::int AS failed
      FROM updated GROUP BY event_id
    ), reopened AS (
      UPDATE events e SET success_count = e.success_count - counts.succeeded,
        failure_count = e.failure_count - counts.failed, status = 'pending'
      FROM counts WHERE e.id = counts.event_id
    )`
