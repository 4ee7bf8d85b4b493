import * as SqlClient from "@effect/sql/SqlClient"
import * as PgClient from "@effect/sql-pg/PgClient"
import { Config, Context, Duration, Effect, Layer, Option, Redacted } from "effect"
import * as Pg from "pg"
import * as EmbeddedPostgres from "./EmbeddedPostgres"
import * as Migrations from "./Migrations"

/** pg's pool applies this to waiting for a free connection too: callers that can wait limit themselves first. */
const CONNECT_TIMEOUT = Duration.seconds(3)
const IDLE_TIMEOUT = Duration.seconds(60)

/**
 * The main pool's `pg` pool itself, for the delivery hot path's prepared statements
 * (`PreparedStatement`); they share its connections with everything `SqlClient` runs.
 */
export class Pool extends Context.Tag("@signal/store/Pool")<Pool, Pg.Pool>() {}

/**
 * A `pg` pool on the given URL, ended with its scope; a connection failing while idle is dropped by
 * it. `session`: statements each new connection runs before its first use.
 */
const makePool = (url: Redacted.Redacted<string>, size: number, applicationName: string, session?: string) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const pool = new Pg.Pool({
        connectionString: Redacted.value(url),
        max: size,
        connectionTimeoutMillis: Duration.toMillis(CONNECT_TIMEOUT),
        idleTimeoutMillis: Duration.toMillis(IDLE_TIMEOUT),
        application_name: applicationName,
        ...(session === undefined ? {} : { onConnect: (client: Pg.ClientBase) => client.query(session) })
      })
      // The next statement gets a fresh connection.
      pool.on("error", () => {})
      return pool
    }),
    (pool) => Effect.promise(() => pool.end()).pipe(Effect.timeoutOption(1_000))
  )

/** Connections of the claim pool: a process sends one claim statement at a time (`ClaimBatcher`). */
const CLAIM_POOL_SIZE = 2

/**
 * The planner settings of the claim pool's sessions. A claim reads each destination's open intents
 * in due order from their partial index (`intents_due`) and stops at its limit. The planner prices
 * that walk by the index's pages against the open intents the last `ANALYZE` counted: once a burst
 * has drained, the index is many pages for a few entries, and the plan cached for the statement
 * read every open intent of the tenant through a bitmap instead (or every open intent of the
 * destination, then sorted): 28–34 ms claims where 1 ms would do, more as the backlog they slowed
 * grew. Without bitmaps and sorts to choose, only the index walk is left for the destinations' reads
 * (the window over the claimed rows sorts in every plan alike).
 */
const CLAIM_SESSION = "SET enable_bitmapscan = off; SET enable_sort = off"

/**
 * The pool unordered claims (`DeliveryStatements.claimMany`) run on, apart from the main pool for its
 * planner settings (`CLAIM_SESSION`), which would cost other statements their bitmap scans (the
 * topics' GIN index has no other) and their sorts.
 */
export class ClaimPool extends Context.Tag("@signal/store/ClaimPool")<ClaimPool, Pg.Pool>() {}

/** A pool (`makePool`) with its `PgClient`, which runs on that very pool. */
const makeClient = (url: Redacted.Redacted<string>, size: number, applicationName: string) =>
  Effect.map(makePool(url, size, applicationName), (pool) => ({
    pool,
    client: PgClient.layerFromPool({ acquire: Effect.succeed(pool), applicationName })
  }))

/**
 * A pool on the given URL, as `SqlClient` and as `Pool`, and the claim pool (`ClaimPool`, which
 * connects only once claims run); connection failures surface within the connect timeout, never hang.
 */
export const clientLayer = (url: Redacted.Redacted<string>) =>
  Layer.unwrapScoped(Effect.gen(function*() {
    const size = yield* Config.integer("SIGNAL_DB_POOL_SIZE").pipe(Config.withDefault(20))
    const { client, pool } = yield* makeClient(url, size, "signal")
    const claimPool = yield* makePool(url, CLAIM_POOL_SIZE, "signal-claims", CLAIM_SESSION)
    return Layer.mergeAll(Layer.succeed(Pool, pool), Layer.succeed(ClaimPool, claimPool), client)
  }))

/** Connections of the ingest pool unless `SIGNAL_DB_INGEST_POOL_SIZE` says otherwise. */
export const DEFAULT_INGEST_POOL_SIZE = 8

/**
 * The connections `POST …/events` writes through, apart from everything else: a dispatcher busy with
 * a backlog in the same process can take every connection of the main pool, never these. Where it
 * is not provided (repository tests), ingest writes through the main pool.
 */
export class IngestClient extends Context.Tag("@signal/store/IngestClient")<IngestClient, {
  readonly sql: SqlClient.SqlClient
  /** The same connections, for ingest's prepared statement. */
  readonly pool: Pg.Pool
  /** How many ingest transactions may run at once: the pool's size. */
  readonly connections: number
}>() {}

/** The ingest pool's client where there is one, else the main pool's. */
export const ingestSql: Effect.Effect<SqlClient.SqlClient, never, SqlClient.SqlClient> = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  return Option.match(yield* Effect.serviceOption(IngestClient), { onNone: () => sql, onSome: (ingest) => ingest.sql })
})

/** The ingest pool's client and pool where there is one, else the main pool's. */
export const ingestClient: Effect.Effect<
  { readonly sql: SqlClient.SqlClient; readonly pool: Pg.Pool },
  never,
  SqlClient.SqlClient | Pool
> = Effect.gen(function*() {
  const ingest = yield* Effect.serviceOption(IngestClient)
  if (Option.isSome(ingest)) return ingest.value
  return { sql: yield* SqlClient.SqlClient, pool: yield* Pool }
})

const ingestPoolSize = Config.integer("SIGNAL_DB_INGEST_POOL_SIZE").pipe(
  Config.withDefault(DEFAULT_INGEST_POOL_SIZE),
  Config.validate({ message: "expected at least 1 connection", validation: (n) => n >= 1 })
)

export const ingestClientLayer = (url: Redacted.Redacted<string>) =>
  Layer.unwrapScoped(Effect.gen(function*() {
    const connections = yield* ingestPoolSize
    const { client, pool } = yield* makeClient(url, connections, "signal-ingest")
    return Layer.effect(IngestClient, Effect.map(PgClient.PgClient, (sql) => ({ sql, pool, connections }))).pipe(
      Layer.provide(client)
    )
  }))

/** Connections of the pool @effect/cluster keeps its runners, shard locks and messages in. */
const CLUSTER_POOL_SIZE = 4

/**
 * The cluster's own connections: shard-lock refreshes and heartbeats never wait behind a backlog's
 * claims and writes, so a busy runner does not lose its shards (and its entities' work) for want of
 * a connection.
 */
export class ClusterClient extends Context.Tag("@signal/store/ClusterClient")<ClusterClient, SqlClient.SqlClient>() {}

const clusterClientLayer = (url: Redacted.Redacted<string>) =>
  Layer.unwrapScoped(Effect.map(makeClient(url, CLUSTER_POOL_SIZE, "signal-cluster"), ({ client }) =>
    Layer.effect(ClusterClient, PgClient.PgClient).pipe(Layer.provide(client))))

/** `DATABASE_URL` when set; otherwise an embedded Postgres owned by this process. */
const urlLayer = Layer.unwrapEffect(
  Effect.map(Config.option(Config.redacted("DATABASE_URL")), Option.match({
    onSome: (url) => Layer.succeed(EmbeddedPostgres.EmbeddedPostgres, { url, dataDir: "" }),
    onNone: () => EmbeddedPostgres.layer
  }))
)

const pools = (ingestPool: boolean) =>
  Layer.unwrapEffect(Effect.map(EmbeddedPostgres.EmbeddedPostgres, ({ url }) =>
    Layer.mergeAll(clientLayer(url), clusterClientLayer(url), ingestPool ? ingestClientLayer(url) : Layer.empty)
  ))

/**
 * SqlClient for Signal's database (migrated unless `migrate: false`), the cluster's pool, and the
 * separate ingest pool unless `ingestPool: false` (a process that serves no API needs none).
 */
export const layer = (options: { readonly migrate?: boolean; readonly ingestPool?: boolean } = {}) => {
  const client = Layer.provide(pools(options.ingestPool ?? true), urlLayer)
  return options.migrate ?? true ? Layer.provideMerge(Migrations.layer, client) : client
}
