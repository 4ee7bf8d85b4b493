import { describe, expect, it } from "@effect/vitest"
import { Either, Schema } from "effect"
import { CustomHeaders } from "../src/Headers"
import { problemsOfParseError } from "../src/Problems"

const problemOf = (headers: Record<string, string>) => {
  const decoded = Schema.decodeUnknownEither(Schema.Struct({ headers: CustomHeaders }))({ headers })
  return Either.isLeft(decoded) ? problemsOfParseError(decoded.left).map((problem) => problem.message) : []
}

describe("CustomHeaders", () => {
  it("refuses the fields HTTP sets for each request, naming the one given, in any case", () => {
    for (const name of ["Content-Length", "transfer-encoding", "Connection", "Keep-Alive", "upgrade", "Expect", "TE", "Trailer"]) {
      expect(problemOf({ "X-Ok": "1", [name]: "x" })).toEqual([`headers header ${name} is set by HTTP for each request and cannot be given`])
    }
  })

  it("accepts end-to-end fields, the Host one included", () => {
    expect(problemOf({ "X-Tenant": "acme", Authorization: "Bearer x", Host: "hooks.example.com" })).toEqual([])
  })
})
