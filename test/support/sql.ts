import { SqlClient } from "@effect/sql"
import { clientLayer } from "@signal/store/Database"
import { Effect, Redacted } from "effect"

/** Runs SQL against a test server's database: to set up what the API cannot (old rows, stopped jobs). */
export const withSql = <A>(databaseUrl: string, f: (sql: SqlClient.SqlClient) => Effect.Effect<A, unknown>) =>
  Effect.runPromise(
    Effect.flatMap(SqlClient.SqlClient, f).pipe(Effect.provide(clientLayer(Redacted.make(databaseUrl))), Effect.scoped)
  )
