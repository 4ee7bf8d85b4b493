import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"

/**
 * Ordered delivery: a destination's `ordering`, an event's `ordering_key` (copied onto its intents),
 * and the open intents of a destination by key in publish order, so a FIFO claim reads the head of
 * each key.
 */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(`
    ALTER TABLE destinations ADD COLUMN ordering text NOT NULL DEFAULT 'none';
    ALTER TABLE events ADD COLUMN ordering_key text;
    ALTER TABLE delivery_intents ADD COLUMN ordering_key text;
    CREATE INDEX intents_ordered_heads ON delivery_intents (destination_id, (coalesce(ordering_key, '')), seq)
      WHERE status IN ('pending', 'retrying');
  `)
})
