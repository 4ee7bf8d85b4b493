import type * as Statement from "@effect/sql/Statement"
import type { SqlClient } from "@effect/sql/SqlClient"
import type { PageOf } from "@signal/domain/Pagination"
import { DateTime } from "effect"

export interface PageRequest {
  readonly limit: number
  readonly order: "asc" | "desc"
  readonly cursor?: string | undefined
}

/** Keyset pagination on the identity column: stable while rows are inserted concurrently. */
export const seqWindow = (sql: SqlClient, alias: string, page: PageRequest): {
  readonly where: Statement.Fragment
  readonly orderBy: Statement.Fragment
  readonly limit: number
} => ({
  where: page.cursor === undefined
    ? sql`TRUE`
    : page.order === "asc"
    ? sql`${sql(alias)}.seq > ${page.cursor}`
    : sql`${sql(alias)}.seq < ${page.cursor}`,
  orderBy: page.order === "asc" ? sql`${sql(alias)}.seq ASC` : sql`${sql(alias)}.seq DESC`,
  limit: page.limit + 1
})

/** Rows carry `seq`; one extra row was fetched to know whether more follow. */
export const toPage = <Row extends { readonly seq: string | number }, A>(
  rows: ReadonlyArray<Row>,
  page: PageRequest,
  map: (row: Row) => A
): PageOf<A> => {
  const hasMore = rows.length > page.limit
  const items = hasMore ? rows.slice(0, page.limit) : rows
  return {
    items: items.map(map),
    hasMore,
    nextCursor: hasMore ? String(items[items.length - 1].seq) : null
  }
}

export const utc = (date: Date) => DateTime.unsafeMake(date)
export const utcOrNull = (date: Date | null) => (date === null ? null : DateTime.unsafeMake(date))

/** Combines filter fragments with AND. */
export const and = (sql: SqlClient, fragments: ReadonlyArray<Statement.Fragment | undefined>) =>
  sql.and(fragments.filter((f): f is Statement.Fragment => f !== undefined))
