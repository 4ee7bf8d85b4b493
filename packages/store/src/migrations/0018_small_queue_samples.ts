import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"

/**
 * Planner statistics of `delivery_intents` from 3,000 sampled rows instead of 30,000. The queue's
 * statistics are kept current (`QueueStatistics`), so under steady delivery the table is analyzed
 * every few seconds, and an `ANALYZE` at the default target cost a Postgres core 226 ms at 40,000
 * intents and 528 ms at 1M (sorting a sample of every column), in bursts that delayed the statements
 * around them. At 10 it costs 24 and 49 ms. The queue's statements keep their plans whatever the
 * statistics say; the lists read by tenant, destination or event, each through its index, for which
 * ten common values and a ten-bucket histogram per column are enough. The ordered heads' index
 * expression is sampled too, at its own target (the largest target sizes the sample). `status` stays
 * unsampled where 0013 could make it so.
 */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(`
    DO $$ DECLARE c text; BEGIN
      FOR c IN SELECT attname FROM pg_attribute WHERE attrelid = 'delivery_intents'::regclass AND attnum > 0
        AND NOT attisdropped AND NOT (attname = 'status' AND attstattarget = 0)
      LOOP
        EXECUTE format('ALTER TABLE delivery_intents ALTER COLUMN %I SET STATISTICS 10', c);
      END LOOP;
    END $$;
    ALTER INDEX intents_ordered_heads ALTER COLUMN 2 SET STATISTICS 10;
  `)
})
