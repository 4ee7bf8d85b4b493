import { SqlClient } from "@effect/sql"
import { clientLayer } from "@signal/store/Database"
import { Effect, Redacted } from "effect"
import { describe, expect, it } from "vitest"
import { eventually } from "../support/http"
import { useTestServer } from "../support/server"

const running = useTestServer({
  env: { SIGNAL_CLUSTER_PRUNE_INTERVAL_MS: "200", SIGNAL_CLUSTER_RETENTION_MS: "60000" }
})

const inDatabase = <A>(f: (sql: SqlClient.SqlClient) => Effect.Effect<A, unknown>) =>
  Effect.runPromise(
    Effect.flatMap(SqlClient.SqlClient, f).pipe(Effect.provide(clientLayer(Redacted.make(running.server.databaseUrl))), Effect.scoped)
  )

describe("cluster table pruning", () => {
  it("removes processed messages, their replies and dead runners past the retention, and nothing else", async () => {
    // one transaction, so the janitor sees the rows all at once
    await inDatabase((sql) =>
      sql.withTransaction(Effect.all([
        sql`INSERT INTO cluster_messages (id, shard_id, entity_type, entity_id, kind, processed, request_id, last_read)
            VALUES (9000000001, 'default:1', 'Destination', 'old', 0, true, 9000000001, now() - interval '2 hours'),
                   (9000000002, 'default:1', 'Destination', 'recent', 0, true, 9000000002, now()),
                   (9000000003, 'default:1', 'Destination', 'unprocessed', 0, false, 9000000003, now() - interval '2 hours')`,
        sql`INSERT INTO cluster_replies (id, kind, request_id, payload)
            VALUES (9100000001, 0, 9000000001, '{}'), (9100000002, 0, 9000000002, '{}')`,
        sql`INSERT INTO cluster_runners (address, runner, healthy, last_heartbeat)
            VALUES ('10.255.0.1:1', 'gone', false, now() - interval '2 hours')`
      ], { discard: true })))

    const snapshot = () =>
      inDatabase((sql) =>
        Effect.all({
          messages: sql<{ id: string }>`SELECT id::text FROM cluster_messages WHERE id IN (9000000001, 9000000002, 9000000003) ORDER BY id`,
          replies: sql<{ id: string }>`SELECT id::text FROM cluster_replies WHERE id IN (9100000001, 9100000002) ORDER BY id`,
          runners: sql<{ address: string }>`SELECT address FROM cluster_runners WHERE address = '10.255.0.1:1'`
        }))
    // a janitor pass prunes in one transaction: wait until one has run
    const state = await eventually(async () => {
      const current = await snapshot()
      return current.messages.length === 2 && current.runners.length === 0 ? current : undefined
    }, { what: "the janitor to prune" })
    expect(state.messages.map((m) => m.id)).toEqual(["9000000002", "9000000003"])
    expect(state.replies.map((r) => r.id)).toEqual(["9100000002"])
    expect(state.runners).toEqual([])
  })
})
