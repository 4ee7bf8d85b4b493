import { Command, Options } from "@effect/cli"
import { NodeContext } from "@effect/platform-node"
import { run, runMain } from "@signal/cli/Cli"
import * as Database from "@signal/store/Database"
import { Config, Console, Effect, Layer, Option } from "effect"
import { runLocalCluster } from "./LocalCluster"
import * as Logging from "./Logging"
import { Role } from "./ServerConfig"
import { ServerLive } from "./Server"

const role = Options.choice("role", Role.literals).pipe(
  Options.withDescription("all (default), gateway or dispatcher; overrides SIGNAL_ROLE"),
  Options.optional
)

/**
 * However a shutdown goes (a database that is away, a finalizer that waits on it), the process is
 * gone this long after SIGTERM or SIGINT: what it could not write is recovered by lease expiry.
 */
const exitWithinAfterSignal = (timeoutMs: number) =>
  Effect.sync(() => {
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      process.once(signal, () => {
        setTimeout(() => {
          process.stderr.write(`shutdown took longer than ${timeoutMs} ms; exiting now\n`)
          process.exit(1)
        }, timeoutMs).unref()
      })
    }
  })

const start = Command.make("start", { role }, ({ role }) =>
  Effect.gen(function*() {
    if (Option.isSome(role)) process.env.SIGNAL_ROLE = role.value
    yield* exitWithinAfterSignal(yield* Config.integer("SIGNAL_SHUTDOWN_TIMEOUT_MS").pipe(Config.withDefault(8_000)))
    yield* Layer.launch(ServerLive)
  })).pipe(Command.withDescription("Run Signal (gateway and dispatcher on embedded Postgres unless configured otherwise)"))

const migrate = Command.make("migrate", {}, () =>
  Effect.logInfo("migrations applied").pipe(Effect.provide(Database.layer({ ingestPool: false })))).pipe(
    Command.withDescription("Apply database migrations and exit")
  )

const cluster = Command.make("cluster", {
  gateways: Options.integer("gateways").pipe(Options.withDefault(2)),
  dispatchers: Options.integer("dispatchers").pipe(Options.withDefault(2)),
  port: Options.integer("port").pipe(Options.withDefault(25050)),
  runnerPort: Options.integer("runner-port").pipe(Options.withDefault(34431))
}, ({ dispatchers, gateways, port, runnerPort }) =>
  runLocalCluster({ gateways, dispatchers, port, runnerBasePort: runnerPort })).pipe(
    Command.withDescription("Run gateways and dispatchers as separate local processes behind a round-robin proxy")
  )

/** The `signal` command line: the client commands plus `start`, `migrate` and `cluster`. */
runMain(
  run([start, migrate, cluster]).pipe(
    Effect.provide(Layer.mergeAll(NodeContext.layer, Logging.layer)),
    Effect.catchAll((error) => Effect.as(Console.error(`error: invalid_configuration: ${String(error)}`), 1))
  )
)
