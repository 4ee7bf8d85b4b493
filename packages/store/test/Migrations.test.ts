import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Redacted } from "effect"
import { createServer, connect, type Server } from "node:net"
import { clientLayer } from "../src/Database"
import * as Migrations from "../src/Migrations"
import { sqlState } from "../src/SqlFailure"
import { createDatabase } from "../src/TestDatabase"

/** A loopback port nothing listens on (yet). */
const unusedPort = Effect.promise(() =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
)

/** From now on, `port` forwards every connection to `target` (a database that was not reachable before). */
const forward = (port: number, target: URL) =>
  Effect.acquireRelease(
    Effect.promise(() =>
      new Promise<Server>((resolve) => {
        const server = createServer((client) => {
          const upstream = connect(Number(target.port), target.hostname)
          client.pipe(upstream).pipe(client)
          client.on("error", () => upstream.destroy())
          upstream.on("error", () => client.destroy())
        })
        server.listen(port, "127.0.0.1", () => resolve(server))
      })
    ),
    (server) => Effect.promise(() => new Promise<void>((resolve) => server.close(() => resolve())))
  )

const migrated = (url: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ readonly count: number }>`SELECT count(*)::int AS count FROM signal_migrations`
    return rows[0].count
  }).pipe(Effect.provide(Layer.provideMerge(Migrations.layer, clientLayer(Redacted.make(url)))), Effect.scoped)

describe("Migrations.run", () => {
  it.live("waits for a database that cannot be reached yet, then migrates it", () =>
    Effect.gen(function*() {
      const database = new URL(yield* createDatabase())
      const port = yield* unusedPort
      const url = new URL(database)
      url.port = String(port)

      const starting = yield* Effect.fork(migrated(url.toString()))
      yield* Effect.sleep("1500 millis")
      // still waiting: nothing listened so far
      expect(yield* Fiber.poll(starting)).toEqual(expect.objectContaining({ _tag: "None" }))
      yield* forward(port, database)
      expect(yield* Fiber.join(starting)).toBeGreaterThan(10)
    }).pipe(Effect.scoped), 60_000)

  it.live("fails at once for a database that answers with a refusal", () =>
    Effect.gen(function*() {
      const database = new URL(yield* createDatabase())
      database.pathname = "/signal_no_such_database"
      const started = Date.now()
      const error = yield* Effect.flip(migrated(database.toString()))
      // invalid_catalog_name: Postgres answered, and will answer the same on every try
      expect(error._tag === "SqlError" && sqlState(error)).toBe("3D000")
      expect(Date.now() - started).toBeLessThan(2_000)
    }), 60_000)

  it.live("migrates a new database once when several processes start on it together", () =>
    Effect.gen(function*() {
      // each its own pool, as separate processes would have; three starters lost one or two of
      // them in about every other try before they took turns
      for (let round = 0; round < 3; round++) {
        const fresh = yield* createDatabase()
        const counts = yield* Effect.all([migrated(fresh), migrated(fresh), migrated(fresh)], { concurrency: "unbounded" })
        expect(counts[0]).toBeGreaterThan(10)
        expect(new Set(counts).size).toBe(1)
      }
    }), 60_000)
})
