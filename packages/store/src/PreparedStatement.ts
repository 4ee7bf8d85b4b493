import { SqlError } from "@effect/sql/SqlError"
import { Effect } from "effect"
import type * as Pg from "pg"

/**
 * A statement of the delivery hot path, run by name straight on the pool: Postgres parses and plans
 * it once per connection, and a call compiles nothing and makes no fiber of its own. Its text is
 * fixed, its parameters positional. Everything off the hot path goes through `SqlClient`.
 *
 * A call that is interrupted lets the statement finish (nothing cancels it): callers whose
 * statement must not be lost run it uninterruptibly.
 */
export interface PreparedStatement<Row> {
  readonly name: string
  readonly text: string
  readonly run: (pool: Pg.Pool, values: ReadonlyArray<unknown>) => Effect.Effect<ReadonlyArray<Row>, SqlError>
}

export const make = <Row>(name: string, text: string): PreparedStatement<Row> => ({
  name,
  text,
  run: (pool, values) =>
    Effect.async<ReadonlyArray<Row>, SqlError>((resume) => {
      pool.query({ name, text, values: values as Array<unknown> }, (cause: Error | undefined, result: Pg.QueryResult) => {
        resume(
          cause === undefined || cause === null
            ? Effect.succeed(result.rows as Array<Row>)
            : Effect.fail(new SqlError({ cause, message: "Failed to execute statement" }))
        )
      })
    })
})
