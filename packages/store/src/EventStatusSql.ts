import type { SqlClient } from "@effect/sql/SqlClient"

/**
 * An event's status from its counters (SQL text, for the `events e` row being updated):
 * pending until every intent finished, then succeeded / failed / partially_failed.
 */
export const eventStatusText = (success: string, failure: string) =>
  `CASE WHEN ${success} + ${failure} < e.destination_count THEN 'pending'
    WHEN ${failure} = 0 THEN 'succeeded'
    WHEN ${success} = 0 THEN 'failed'
    ELSE 'partially_failed' END`

/** `eventStatusText` as a fragment of a `SqlClient` statement. */
export const eventStatusCase = (sql: SqlClient, success: string, failure: string) =>
  sql.literal(eventStatusText(success, failure))
