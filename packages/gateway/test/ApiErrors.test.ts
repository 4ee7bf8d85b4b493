import { describe, expect, it } from "@effect/vitest"
import { SqlError } from "@effect/sql/SqlError"
import { BadRequest, ServiceUnavailable } from "@signal/domain/ApiError"
import { Effect } from "effect"
import { databaseUnavailable } from "../src/ApiErrors"

const connectionLost = new SqlError({ cause: new Error("Connection terminated unexpectedly"), message: "Failed to execute statement" })

describe("databaseUnavailable", () => {
  it.effect("answers a failed statement with 503 unavailable", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(databaseUnavailable(Effect.fail(connectionLost)))
      expect(error).toBeInstanceOf(ServiceUnavailable)
      expect(error.code).toBe("unavailable")
    }))

  // @effect/sql raises a failed COMMIT or ROLLBACK as a defect; it is still the database's problem
  it.effect("answers a COMMIT lost with the connection with 503, not 500", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(databaseUnavailable(Effect.die(connectionLost)))
      expect(error).toBeInstanceOf(ServiceUnavailable)
    }))

  it.effect("leaves other defects alone", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(databaseUnavailable(Effect.die(new Error("bug"))))
      expect(exit._tag === "Failure" && exit.cause._tag === "Die").toBe(true)
    }))

  it.effect("answers text Postgres cannot store with 400", () =>
    Effect.gen(function*() {
      const nul = new SqlError({ cause: Object.assign(new Error("invalid byte sequence"), { code: "22021" }) })
      const error = yield* Effect.flip(databaseUnavailable(Effect.fail(nul)))
      expect(error).toBeInstanceOf(BadRequest)
    }))
})
