import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"

/**
 * No foreign keys on the rows the hot path inserts (events, intents, attempts): Postgres checked each
 * one per row and locked the row referred to (the tenant's, for every event), while Signal writes these
 * rows only beside what they refer to: an event with its intents in one statement, after its sender
 * was checked; an attempt from a held lease. Tenants, senders and destinations are never
 * hard-deleted; retention deletes an event with its intents and attempts in one statement.
 */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(`
    ALTER TABLE events DROP CONSTRAINT events_tenant_id_fkey, DROP CONSTRAINT events_sender_id_fkey;
    ALTER TABLE delivery_intents DROP CONSTRAINT delivery_intents_event_id_fkey,
      DROP CONSTRAINT delivery_intents_destination_id_fkey;
    ALTER TABLE delivery_attempts DROP CONSTRAINT delivery_attempts_intent_id_fkey;
  `)
})
