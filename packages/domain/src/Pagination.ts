import { Schema } from "effect"

export const Order = Schema.Literal("asc", "desc")
export type Order = typeof Order.Type

export const MAX_LIST_LIMIT = 200
const MAX_CURSOR = 9223372036854775807n

/** Repeated query parameters (`?x=a&x=b`) or a comma-separated one (`?x=a,b`). */
export const ListParam = <A, I extends string>(item: Schema.Schema<A, I>) =>
  Schema.optional(
    Schema.transform(
      Schema.Union(Schema.String, Schema.Array(Schema.String)),
      Schema.Array(item),
      {
        strict: false,
        decode: (input) =>
          (typeof input === "string" ? [input] : input).flatMap((part) => part.split(",")).filter((s) => s.length > 0),
        encode: (items) => items
      }
    )
  )

export const PageParams = {
  limit: Schema.optionalWith(
    Schema.NumberFromString.pipe(Schema.int(), Schema.between(1, MAX_LIST_LIMIT)),
    { default: () => 20 }
  ),
  order: Schema.optionalWith(Order, { default: () => "desc" as const }),
  cursor: Schema.optional(Schema.String.pipe(
    Schema.pattern(/^[0-9]{1,19}$/, { message: () => "must be a value returned as nextCursor" }),
    // Cursors are bigint positions: larger values would reach the database as an out-of-range error.
    Schema.filter((cursor) => BigInt(cursor) <= MAX_CURSOR || "must be a value returned as nextCursor")
  ))
}

export const Page = <S extends Schema.Schema.Any>(item: S) =>
  Schema.Struct({
    items: Schema.Array(item),
    nextCursor: Schema.NullOr(Schema.String),
    hasMore: Schema.Boolean
  })

export interface PageOf<A> {
  readonly items: ReadonlyArray<A>
  readonly nextCursor: string | null
  readonly hasMore: boolean
}
