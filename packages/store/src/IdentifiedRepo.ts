import { SqlClient } from "@effect/sql"
import { DateTime, Effect, Option } from "effect"
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

/** Tenants and senders share one shape: upserted by a unique identifier, read by id. */
export const makeIdentifiedRepo = <Id extends string, A>(options: {
  readonly table: "tenants" | "senders"
  readonly spanPrefix: string
  readonly newId: () => Id
  readonly make: (fields: Identified<Id>) => A
}) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
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

    return { upsert, findById } as const
  })
