import { PgClient } from "@effect/sql-pg"
import { Config, Effect, Layer, Option, type Redacted } from "effect"
import * as EmbeddedPostgres from "./EmbeddedPostgres"
import * as Migrations from "./Migrations"

/** A pool on the given URL; connection failures surface within the connect timeout, never hang. */
export const clientLayer = (url: Redacted.Redacted<string>) =>
  PgClient.layerConfig({
    url: Config.succeed(url),
    maxConnections: Config.integer("SIGNAL_DB_POOL_SIZE").pipe(Config.withDefault(20)),
    connectTimeout: Config.succeed("3 seconds"),
    idleTimeout: Config.succeed("60 seconds"),
    applicationName: Config.succeed("signal")
  })

/** `DATABASE_URL` when set; otherwise an embedded Postgres owned by this process. */
const urlLayer = Layer.unwrapEffect(
  Effect.map(Config.option(Config.redacted("DATABASE_URL")), Option.match({
    onSome: (url) => Layer.succeed(EmbeddedPostgres.EmbeddedPostgres, { url, dataDir: "" }),
    onNone: () => EmbeddedPostgres.layer
  }))
)

const pool = Layer.unwrapEffect(Effect.map(EmbeddedPostgres.EmbeddedPostgres, ({ url }) => clientLayer(url)))

/** SqlClient for Signal's database (migrated unless `migrate: false`). */
export const layer = (options: { readonly migrate: boolean } = { migrate: true }) => {
  const client = Layer.provide(pool, urlLayer)
  return options.migrate ? Layer.provideMerge(Migrations.layer, client) : client
}
