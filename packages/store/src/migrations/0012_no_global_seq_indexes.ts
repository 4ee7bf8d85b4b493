import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"

/**
 * Events, intents and attempts are listed by tenant, destination or event, each with an index that
 * ends in `seq`; no statement reads them by `seq` alone. The unique index each table kept on it was
 * one more entry to write per row inserted (and per intent version moved). The identity column keeps
 * `seq` unique.
 */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(`
    ALTER TABLE events DROP CONSTRAINT events_seq_key;
    ALTER TABLE delivery_intents DROP CONSTRAINT delivery_intents_seq_key;
    ALTER TABLE delivery_attempts DROP CONSTRAINT delivery_attempts_seq_key;
  `)
})
