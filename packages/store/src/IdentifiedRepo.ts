import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { DateTime, Effect, Option } from "effect"
import * as Database from "./Database"
import { utc } from "./Paging"

interface IdentifiedRow {
  readonly id: string
  readonly identifier: string
  readonly name: string
  readonly created_at: Date
  readonly updated_at: Date
}

interface Identified<Id> {
  readonly id: Id
  readonly identifier: string
  readonly name: string
  readonly createdAt: DateTime.Utc
  readonly updatedAt: DateTime.Utc
}

/** Ids remembered as existing, per table and process. */
const MAX_KNOWN = 100_000

/** Tenants and senders share one shape: upserted by a unique identifier, read by id. */
export const makeIdentifiedRepo = <Id extends string, A>(options: {
  readonly table: "tenants" | "senders"
  readonly spanPrefix: string
  readonly newId: () => Id
  readonly make: (fields: Identified<Id>) => A
}) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const readSql = yield* Database.ingestSql
    const toModel = (row: IdentifiedRow) =>
      options.make({
        id: row.id as Id,
        identifier: row.identifier,
        name: row.name,
        createdAt: utc(row.created_at),
        updatedAt: utc(row.updated_at)
      })

    const upsert = Effect.fn(`${options.spanPrefix}.upsert`)(function*(input: {
      readonly identifier: string
      readonly name: string
    }) {
      const rows = yield* sql<IdentifiedRow>`
        INSERT INTO ${sql(options.table)} (id, identifier, name)
        VALUES (${options.newId()}, ${input.identifier}, ${input.name})
        ON CONFLICT (identifier) DO UPDATE SET name = EXCLUDED.name, updated_at = now()
        RETURNING *`
      return toModel(rows[0])
    })

    const findById = Effect.fn(`${options.spanPrefix}.findById`)(function*(id: Id) {
      const rows = yield* sql<IdentifiedRow>`SELECT * FROM ${sql(options.table)} WHERE id = ${id}`
      return Option.map(Option.fromNullable(rows[0]), toModel)
    })

    /**
     * Whether the id exists. Tenants and senders are never deleted, so an id seen once is remembered
     * (up to a bound) and asked for again never; looked up through the ingest pool when there is one.
     */
    const known = new Set<Id>()
    const exists = (id: Id): Effect.Effect<boolean, SqlError> =>
      known.has(id) ? Effect.succeed(true) : readSql<{ id: string }>`SELECT id FROM ${sql(options.table)} WHERE id = ${id}`.pipe(
        Effect.map((rows) => {
          if (rows.length === 0) return false
          if (known.size >= MAX_KNOWN) known.clear()
          known.add(id)
          return true
        }),
        Effect.withSpan(`${options.spanPrefix}.exists`, { captureStackTrace: false })
      )

    return { upsert, findById, exists } as const
  })
