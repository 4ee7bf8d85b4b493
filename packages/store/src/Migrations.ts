import { Migrator } from "@effect/sql"
import { Effect, Layer } from "effect"
import initial from "./migrations/0001_initial"

/** Applies pending migrations; concurrent starters serialise on the migrations table lock. */
export const run = Migrator.make({})({
  loader: Migrator.fromRecord({ "0001_initial": initial }),
  table: "signal_migrations"
}).pipe(Effect.withSpan("Migrations.run"))

export const layer = Layer.effectDiscard(run)
