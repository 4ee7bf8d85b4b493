import type { SqlClient } from "@effect/sql/SqlClient"
import type { DestinationId } from "@signal/domain/Ids"
import { eventStatusCase } from "./EventStatusSql"

/** The error an intent ends with when its destination is deleted before it succeeded. */
export const DESTINATION_DELETED = { code: "destination_deleted", message: "the destination was deleted" } as const

/**
 * Ends the open intents of a deleted destination as failed with `destination_deleted`, and counts
 * them on their events. A no-op while the destination is not deleted. An intent whose lease is live
 * has a request out (or about to be): that attempt's outcome ends it, succeeded if it was accepted and
 * failed with this error if it would retry; its holder's drain, which hears of the delete, ends
 * whatever is still open once its requests have landed (a lapsed lease leaves it to the next call).
 */
export const endIntentsOfDeletedDestination = (sql: SqlClient, destinationId: DestinationId) =>
  sql<{ ended: number }>`
    WITH ended AS (
      UPDATE delivery_intents i SET status = 'failed', next_attempt_at = NULL, lease_until = NULL, lease_owner = NULL,
        error_code = ${DESTINATION_DELETED.code}, error_message = ${DESTINATION_DELETED.message}, updated_at = now()
      FROM destinations d
      WHERE d.id = ${destinationId} AND d.deleted_at IS NOT NULL
        AND i.destination_id = d.id AND i.status IN ('pending', 'retrying')
        AND (i.lease_until IS NULL OR i.lease_until < now())
      RETURNING i.event_id
    ), counts AS (SELECT event_id, count(*)::int AS failed FROM ended GROUP BY event_id),
    counted AS (
      UPDATE events e SET failure_count = e.failure_count + counts.failed,
        status = ${eventStatusCase(sql, "e.success_count", "e.failure_count + counts.failed")}
      FROM counts WHERE e.id = counts.event_id
    )
    SELECT count(*)::int AS ended FROM ended`
