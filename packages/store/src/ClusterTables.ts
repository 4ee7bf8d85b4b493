import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * @effect/cluster keeps its messages, replies and runner rows forever. Signal's wakes are volatile,
 * so what accumulates is processed persisted messages (singletons, keep-alives) and rows of runners
 * that are gone; both are pruned once older than the retention.
 */
export class ClusterTables extends Effect.Service<ClusterTables>()("@signal/store/ClusterTables", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient

    const pruneOlderThan = (seconds: number) => Effect.gen(function*() {
      const replies = yield* sql<{ count: number }>`
        WITH gone AS (
          DELETE FROM cluster_replies r USING cluster_messages m
          WHERE r.request_id = m.request_id AND m.processed
            AND COALESCE(m.last_read, to_timestamp(0)) < now() - make_interval(secs => ${seconds})
          RETURNING 1
        ) SELECT count(*)::int AS count FROM gone`
      const messages = yield* sql<{ count: number }>`
        WITH gone AS (
          DELETE FROM cluster_messages
          WHERE processed AND COALESCE(last_read, to_timestamp(0)) < now() - make_interval(secs => ${seconds})
          RETURNING 1
        ) SELECT count(*)::int AS count FROM gone`
      const runners = yield* sql<{ count: number }>`
        WITH gone AS (
          DELETE FROM cluster_runners
          WHERE NOT healthy AND last_heartbeat < now() - make_interval(secs => ${seconds})
          RETURNING 1
        ) SELECT count(*)::int AS count FROM gone`
      return { replies: replies[0].count, messages: messages[0].count, runners: runners[0].count }
    })

    /** One transaction: a message never outlives its replies' deletion half-done. */
    const prune = Effect.fn("ClusterTables.prune")(function*(retentionMs: number) {
      return yield* sql.withTransaction(pruneOlderThan(retentionMs / 1000))
    })

    return { prune } as const
  })
}) {}
