import type { SqlClient } from "@effect/sql/SqlClient"
import { Effect } from "effect"

/**
 * Runs `work` while this process holds the start-up lock (a Postgres advisory lock, taken on a
 * connection of its own so that `work` runs as it would alone). Processes started together on a new
 * database (a gateway and a dispatcher, `signal cluster`, the pods of a new deployment) so create
 * their tables one at a time: `CREATE TABLE IF NOT EXISTS` run by two sessions at once fails in one
 * of them (a duplicate `pg_type` row), and that process failed to start.
 */
export const inTurn = <A, E, R>(sql: SqlClient, work: Effect.Effect<A, E, R>) =>
  Effect.scoped(Effect.gen(function*() {
    const connection = yield* sql.reserve
    // any fixed number that nothing else locks
    yield* connection.executeRaw("SELECT pg_advisory_lock(4915240117)", [])
    return yield* Effect.ensuring(
      work,
      // a connection that broke took its lock with it
      Effect.ignore(connection.executeRaw("SELECT pg_advisory_unlock(4915240117)", []))
    )
  }))
