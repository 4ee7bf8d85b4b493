import { describe, expect, it } from "@effect/vitest"
import { SqlError } from "@effect/sql/SqlError"
import { NotFound, ServiceUnavailable } from "@signal/domain/ApiError"
import { Effect } from "effect"
import { storeBoundary } from "../src/StoreBoundary"

const connectionLost = new SqlError({ cause: new Error("Connection terminated unexpectedly"), message: "Failed to execute statement" })

// A store-shaped service: what a repository answers when its database is away.
const repository = {
  findById: (id: string) => (id === "gone" ? Effect.fail(NotFound.of("thing", id)) : Effect.fail(connectionLost)),
  commit: () => Effect.die(connectionLost),
  count: () => Effect.succeed(3),
  label: "things",
  plain: (n: number) => n + 1
}

describe("storeBoundary", () => {
  it.effect("maps every method's database failure to 503 and leaves the contract's errors alone", () =>
    Effect.gen(function*() {
      const bounded = storeBoundary(repository)
      expect(yield* Effect.flip(bounded.findById("x"))).toBeInstanceOf(ServiceUnavailable)
      expect(yield* Effect.flip(bounded.commit())).toBeInstanceOf(ServiceUnavailable)
      expect(yield* Effect.flip(bounded.findById("gone"))).toBeInstanceOf(NotFound)
      expect(yield* bounded.count()).toBe(3)
      expect(bounded.label).toBe("things")
      expect(bounded.plain(1)).toBe(2)
    }))
})
