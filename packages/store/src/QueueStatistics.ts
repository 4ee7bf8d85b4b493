import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"

/** Changed rows since the last `ANALYZE` below which the planner's picture is left as it is. */
const MIN_CHANGED_ROWS = 10_000

/** Share of the table that must have changed since the last `ANALYZE` (autovacuum's default is 10 %, checked every minute). */
const CHANGED_SHARE = 0.2

/**
 * Keeps the planner's statistics of `delivery_intents` current. The queue's statements walk partial
 * indexes of open intents; statistics taken before a burst of publishes say there are none, and the
 * planner then scans every open intent where an index walk reads a handful (a 300,000-intent burst
 * turned 1 ms claims and outcome writes into 100–1,000 ms ones until autovacuum's next round).
 */
export class QueueStatistics extends Effect.Service<QueueStatistics>()("@signal/store/QueueStatistics", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient

    /** `ANALYZE`s the queue table when enough of it changed since it was last analyzed; whether it did. */
    const refreshIfStale = Effect.gen(function*() {
      const [table] = yield* sql<{ readonly changed: string; readonly rows: number }>`
        SELECT n_mod_since_analyze::text AS changed, greatest(c.reltuples, 0)::float8 AS rows
        FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
        WHERE s.relid = 'delivery_intents'::regclass`
      const changed = Number(table?.changed ?? 0)
      if (changed < Math.max(MIN_CHANGED_ROWS, CHANGED_SHARE * (table?.rows ?? 0))) return false
      // another session's ANALYZE (or autovacuum) of the table is as good as this one: never wait for it
      yield* sql`ANALYZE (SKIP_LOCKED) delivery_intents`
      return true
    }).pipe(Effect.withSpan("QueueStatistics.refreshIfStale", { captureStackTrace: false }))

    return { refreshIfStale } as const
  })
}) {}
