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
  /**
   * Sends the statement and succeeds at once with an effect that awaits its rows: what the caller
   * does before awaiting them runs while Postgres executes it.
   */
  readonly start: (
    pool: Pg.Pool,
    values: ReadonlyArray<unknown>
  ) => Effect.Effect<Effect.Effect<ReadonlyArray<Row>, SqlError>>
}

type Outcome<Row> = Effect.Effect<ReadonlyArray<Row>, SqlError>

export const make = <Row>(name: string, text: string): PreparedStatement<Row> => {
  const send = (pool: Pg.Pool, values: ReadonlyArray<unknown>, done: (outcome: Outcome<Row>) => void) =>
    pool.query({ name, text, values: values as Array<unknown> }, (cause: Error | undefined, result: Pg.QueryResult) => {
      done(
        cause === undefined || cause === null
          ? Effect.succeed(result.rows as Array<Row>)
          : Effect.fail(new SqlError({ cause, message: "Failed to execute statement" }))
      )
    })
  return {
    name,
    text,
    run: (pool, values) => Effect.async<ReadonlyArray<Row>, SqlError>((resume) => send(pool, values, resume)),
    start: (pool, values) =>
      Effect.sync(() => {
        let outcome: Outcome<Row> | undefined
        let awaiting: ((outcome: Outcome<Row>) => void) | undefined
        send(pool, values, (done) => {
          outcome = done
          awaiting?.(done)
        })
        return Effect.async<ReadonlyArray<Row>, SqlError>((resume) => {
          if (outcome === undefined) awaiting = resume
          else resume(outcome)
        })
      })
  }
}
