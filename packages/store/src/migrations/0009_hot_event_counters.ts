import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"

/**
 * Every finished delivery updates its event's counters and status. With `status` indexed, each such
 * update added a new entry to every index of `events`; without it the update touches no indexed
 * column and, with room left on the page, Postgres rewrites the row in place (a HOT update). Listing
 * events by status now walks the tenant's events newest first and filters, stopping at the page size.
 */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(`
    DROP INDEX events_tenant_status;
    ALTER TABLE events SET (fillfactor = 80);
  `)
})
