import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"

/**
 * No planner statistics on the intents' `status`. How many intents are open swings from a handful
 * to the whole table within seconds, so any sample of it is soon wrong, and the prepared queue
 * statements keep the plan a sample suggested: with few open intents sampled, a claim could walk
 * every open intent (through `intents_tenant_status`) for each destination it claimed for, and took
 * up to four times as long. Without statistics the planner takes open intents to be a fixed small
 * share of the table, which keeps each destination's claim on its own index (`intents_due`) whatever
 * the queue holds. Statistics already sampled are cleared first: by the table's owner on Postgres 18
 * and later, otherwise only as a superuser. Where they cannot be, the column stays sampled as before,
 * since statistics frozen at one sample would be worse than fresh ones.
 */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(`
    DO $$ DECLARE clearable boolean := true; BEGIN
      IF to_regprocedure('pg_clear_attribute_stats(text,text,text,boolean)') IS NOT NULL THEN
        PERFORM pg_clear_attribute_stats(current_schema(), 'delivery_intents', 'status', false);
      ELSIF EXISTS (SELECT 1 FROM pg_stats WHERE schemaname = current_schema() AND tablename = 'delivery_intents'
        AND attname = 'status') THEN
        BEGIN
          DELETE FROM pg_statistic WHERE starelid = 'delivery_intents'::regclass AND staattnum =
            (SELECT attnum FROM pg_attribute WHERE attrelid = 'delivery_intents'::regclass AND attname = 'status');
        EXCEPTION WHEN insufficient_privilege THEN clearable := false;
        END;
      END IF;
      IF clearable THEN
        ALTER TABLE delivery_intents ALTER COLUMN status SET STATISTICS 0;
      END IF;
    END $$;
  `)
})
