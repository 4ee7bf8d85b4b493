import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"

/**
 * No planner statistics on the intents' `status`. How many intents are open swings from a handful
 * to the whole table within seconds, so any sample of it is soon wrong, and the prepared queue
 * statements keep the plan a sample suggested: with few open intents sampled, a claim could walk
 * every open intent (through `intents_tenant_status`) for each destination it claimed for, and took
 * up to four times as long. Without statistics the planner takes open intents to be a fixed small
 * share of the table, which keeps each destination's claim on its own index (`intents_due`) whatever
 * the queue holds. Statistics already sampled are cleared where the table's owner may (Postgres 18
 * and later) or Signal connects as a superuser; elsewhere they stay as last sampled.
 */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(`
    ALTER TABLE delivery_intents ALTER COLUMN status SET STATISTICS 0;
    DO $$ BEGIN
      IF to_regprocedure('pg_clear_attribute_stats(text,text,text,boolean)') IS NOT NULL THEN
        PERFORM pg_clear_attribute_stats(current_schema(), 'delivery_intents', 'status', false);
      ELSE
        BEGIN
          DELETE FROM pg_statistic WHERE starelid = 'delivery_intents'::regclass AND staattnum =
            (SELECT attnum FROM pg_attribute WHERE attrelid = 'delivery_intents'::regclass AND attname = 'status');
        EXCEPTION WHEN insufficient_privilege THEN NULL;
        END;
      END IF;
    END $$;
  `)
})
