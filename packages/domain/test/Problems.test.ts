import { describe, expect, it } from "@effect/vitest"
import { Either, Schema } from "effect"
import { PageParams } from "../src/Pagination"
import { problemsOfParseError } from "../src/Problems"
import { Identifier } from "../src/Tenant"

/** The sentences a person reads for `input` decoded as a list's query with the given extra fields. */
const sentences = (fields: Schema.Struct.Fields, input: unknown) => {
  const decoded = Schema.decodeUnknownEither(Schema.Struct({ ...PageParams, ...fields }), { errors: "all" })(input)
  return Either.isLeft(decoded) ? problemsOfParseError(decoded.left).map((problem) => problem.message) : []
}

describe("problems", () => {
  it("names every alternative of a union of literals", () => {
    expect(sentences({}, { order: "sideways" })).toEqual([`order must be "asc" or "desc" (got "sideways")`])
  })

  it("says what a value that did not decode should have been, in words", () => {
    expect(sentences({ createdAfter: Schema.optional(Schema.DateTimeUtc) }, { createdAfter: "yesterday" }))
      .toEqual([`createdAfter must be an ISO 8601 date-time (got "yesterday")`])
    expect(sentences({}, { limit: "ten" })).toEqual([`limit must be a number (got "ten")`])
  })

  it("names the field once in a message of our own", () => {
    expect(sentences({}, { cursor: "zz" })).toEqual(["cursor must be a value returned as nextCursor"])
    expect(sentences({ identifier: Identifier }, { identifier: "-x" }))
      .toEqual(["identifier must be 1-128 characters of letters, digits, '.', '_', ':' or '-'"])
  })

  it("reports an item of a nullable list, not that the list should have been null", () => {
    const ids = Schema.optional(Schema.NullOr(Schema.Array(Schema.String.pipe(Schema.startsWith("dst_")))))
    expect(sentences({ onlyForDestinations: ids }, { onlyForDestinations: ["x"] }))
      .toEqual([`onlyForDestinations[0] must be a string starting with "dst_" (got "x")`])
    expect(sentences({ onlyForDestinations: ids }, { onlyForDestinations: 5 }))
      .toEqual(["onlyForDestinations must be a list (got 5)"])
  })

  it("keeps the first of the checks one value failed, not alternatives", () => {
    const code = Schema.String.pipe(Schema.minLength(3), Schema.pattern(/^[a-z]+$/))
    expect(sentences({ code }, { code: "A" })).toEqual([`code must be at least 3 character(s) long (got "A")`])
  })
})
