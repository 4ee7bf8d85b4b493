import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"

/**
 * @effect/cluster keeps its messages, replies and runner rows forever. Signal's wakes are volatile,
 * so what accumulates is processed persisted messages (singletons, keep-alives) and rows of runners
 * that are gone; both are pruned once older than the retention.
 */
export class ClusterTables extends Effect.Service<ClusterTables>()("@signal/store/ClusterTables", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient

    const prune = Effect.fn("ClusterTables.prune")(function*(retentionMs: number) {
      const seconds = retentionMs / 1000
      // one statement, so one snapshot: a message committed mid-pass is deleted together with its replies or not at all
      const [messages] = yield* sql<{ messages: number; replies: number }>`
        WITH gone_messages AS (
          DELETE FROM cluster_messages
          WHERE processed AND COALESCE(last_read, to_timestamp(0)) < now() - make_interval(secs => ${seconds})
          RETURNING request_id
        ), gone_replies AS (
          DELETE FROM cluster_replies WHERE request_id IN (SELECT request_id FROM gone_messages)
          RETURNING 1
        ) SELECT (SELECT count(*)::int FROM gone_messages) AS messages, (SELECT count(*)::int FROM gone_replies) AS replies`
      const [runners] = yield* sql<{ count: number }>`
        WITH gone AS (
          DELETE FROM cluster_runners
          WHERE NOT healthy AND last_heartbeat < now() - make_interval(secs => ${seconds})
          RETURNING 1
        ) SELECT count(*)::int AS count FROM gone`
      return { messages: messages.messages, replies: messages.replies, runners: runners.count }
    })

    return { prune } as const
  })
}) {}
