import type * as Statement from "@effect/sql/Statement"
import type { SqlClient } from "@effect/sql/SqlClient"
import { Effect } from "effect"

/**
 * How far a row's time can lie before the moment its `seq` was drawn. An event's or intent's
 * `created_at` is taken just before its insert is sent; an attempt's `started_at` precedes its insert
 * by the attempt (at most its destination's timeout) and the queue of outcomes being written. Five
 * minutes covers both with room for a slow database and clocks of several processes that disagree a
 * little.
 */
export const SEQ_SKEW_MS = 5 * 60_000

/**
 * The rows of one tenant or destination in a table that lists them through an index on
 * `(scope, seq)`, and the time column a window is about.
 */
export interface TimeScope {
  readonly table: "events" | "delivery_intents" | "delivery_attempts"
  readonly column: "tenant_id" | "destination_id"
  readonly id: string
  readonly time: "created_at" | "started_at"
}

/**
 * A seq from which the scope's rows are at or after `at`: a binary search over the scope's `seq`
 * index, each step one descent and one row. Rows drawn their seq in the order of their times, give or
 * take `SEQ_SKEW_MS`, so every row at or after `at + skew` has a seq at or after the answer, and every
 * row before `at - skew` one before it. Answers 0 for a scope without rows.
 */
const firstSeqAt = (sql: SqlClient, scope: TimeScope, at: Date): Statement.Fragment => {
  const rows = sql`${sql(scope.table)} WHERE ${sql(scope.column)} = ${scope.id}`
  return sql`(WITH RECURSIVE search (lo, hi) AS (
      SELECT (SELECT seq FROM ${rows} ORDER BY seq LIMIT 1), (SELECT seq + 1 FROM ${rows} ORDER BY seq DESC LIMIT 1)
      UNION ALL
      SELECT CASE WHEN probe.at < ${at} THEN probe.seq + 1 ELSE search.lo END,
        CASE WHEN probe.at < ${at} THEN search.hi ELSE (search.lo + search.hi) / 2 END
      FROM search CROSS JOIN LATERAL (
        SELECT seq, ${sql(scope.time)} AS at FROM ${rows} AND seq >= (search.lo + search.hi) / 2 ORDER BY seq LIMIT 1
      ) AS probe
      WHERE search.lo < search.hi
    ) SELECT COALESCE(min(lo), 0) FROM search WHERE lo >= hi)`
}

/** A seq no row of the scope at or after `at` is below: every row below it is before `at`. */
export const seqFrom = (sql: SqlClient, scope: TimeScope, at: Date) =>
  firstSeqAt(sql, scope, new Date(at.getTime() - SEQ_SKEW_MS))

/** A seq every row of the scope before `at` is below. */
export const seqBefore = (sql: SqlClient, scope: TimeScope, at: Date) =>
  firstSeqAt(sql, scope, new Date(at.getTime() + SEQ_SKEW_MS))

/** Where a window's rows lie in `seq`: from `lo` on, before `hi`. */
export interface WindowSeqs {
  readonly lo: string
  readonly hi: string
}

/**
 * The seqs that bound a window (`[from, to)`), found ahead of the statement that reads it: one that
 * reads a window in `seq` order up to a limit plans better with them as values. Given as subqueries,
 * Postgres takes the range for a small share of the scope and sorts whatever it reads.
 */
export const windowSeqs = (sql: SqlClient, scope: TimeScope, from: Date, to: Date) =>
  Effect.map(
    sql<WindowSeqs>`SELECT ${seqFrom(sql, scope, from)}::text AS lo, ${seqBefore(sql, scope, to)}::text AS hi`,
    (rows) => rows[0]
  )

/**
 * The scope's rows (of `alias`) with their time in `[from, to)` (either end open when not given), read
 * through the `(scope, seq)` index between the seqs of `from - skew` and `to + skew` (no index on the
 * time itself: each would cost every insert, and every final update of an intent or event, one more
 * entry), searched for in the statement unless `seqs` are given.
 */
export const withinWindow = (
  sql: SqlClient,
  alias: string,
  scope: TimeScope,
  from: Date | undefined,
  to: Date | undefined,
  seqs?: WindowSeqs
) => {
  const column = (name: string) => sql`${sql(alias)}.${sql(name)}`
  return sql.and([
    sql`${column(scope.column)} = ${scope.id}`,
    ...(from === undefined ? [] : [
      sql`${column("seq")} >= ${seqs?.lo ?? seqFrom(sql, scope, from)}`,
      sql`${column(scope.time)} >= ${from}`
    ]),
    ...(to === undefined ? [] : [
      sql`${column("seq")} < ${seqs?.hi ?? seqBefore(sql, scope, to)}`,
      sql`${column(scope.time)} < ${to}`
    ])
  ])
}
