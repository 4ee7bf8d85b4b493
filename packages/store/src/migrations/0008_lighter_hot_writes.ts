import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * Less work per event, intent and attempt written (publishes and outcomes alike):
 *
 * - The foreign keys of the rows the hot path inserts go: Postgres checked each one per row and took
 *   a lock on the row referred to (the tenant's, for every event), while Signal writes these rows only
 *   beside what they refer to (an event with its intents in one statement, an attempt from a held
 *   lease). Tenants, senders and destinations are never hard-deleted; retention deletes an event with
 *   its intents and attempts in one statement.
 * - Two time-window indexes that only analytics read become BRIN indexes, which cost next to nothing
 *   per row written (rows arrive in time order) and still bound a window's scan to its blocks. The
 *   intents' one tolerates rows moved by updates (`minmax_multi`).
 */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(`
    ALTER TABLE events DROP CONSTRAINT events_tenant_id_fkey, DROP CONSTRAINT events_sender_id_fkey;
    ALTER TABLE delivery_intents DROP CONSTRAINT delivery_intents_event_id_fkey,
      DROP CONSTRAINT delivery_intents_destination_id_fkey;
    ALTER TABLE delivery_attempts DROP CONSTRAINT delivery_attempts_intent_id_fkey;
    DROP INDEX intents_tenant_created;
    DROP INDEX attempts_destination_started;
    CREATE INDEX intents_created_brin ON delivery_intents USING brin (created_at timestamptz_minmax_multi_ops)
      WITH (autosummarize = on);
    CREATE INDEX attempts_started_brin ON delivery_attempts USING brin (started_at) WITH (autosummarize = on);
  `)
})
