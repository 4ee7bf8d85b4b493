/**
 * `signal start`, `migrate` and `cluster`: their flags and help here, their work in `ServerRun.ts`,
 * imported when one of them runs. `signal --help` and the API commands never load the server.
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import { runsUntilStopped } from "@signal/cli/Stopping"
import { Effect, Option } from "effect"
import { Role } from "./ServerConfig"

const server = Effect.promise(() => import("./ServerRun"))

const role = Options.choice("role", Role.literals).pipe(
  Options.withDescription("all (default), gateway or dispatcher; overrides SIGNAL_ROLE"),
  Options.optional
)

export const start = Command.make("start", { role }, ({ role }) =>
  Effect.gen(function*() {
    if (Option.isSome(role)) process.env.SIGNAL_ROLE = role.value
    yield* runsUntilStopped
    yield* Effect.flatMap(server, (run) => run.start)
  })).pipe(Command.withDescription("Run Signal (gateway and dispatcher on embedded Postgres unless configured otherwise)"))

export const migrate = Command.make("migrate", {}, () => Effect.flatMap(server, (run) => run.migrate)).pipe(
  Command.withDescription("Apply database migrations and exit")
)

export const cluster = Command.make("cluster", {
  gateways: Options.integer("gateways").pipe(Options.withDefault(2)),
  dispatchers: Options.integer("dispatchers").pipe(Options.withDefault(2)),
  port: Options.integer("port").pipe(Options.withDefault(25050)),
  runnerPort: Options.integer("runner-port").pipe(Options.withDefault(34431))
}, ({ dispatchers, gateways, port, runnerPort }) =>
  Effect.zipRight(
    runsUntilStopped,
    Effect.flatMap(server, (run) => run.runLocalCluster({ gateways, dispatchers, port, runnerBasePort: runnerPort }))
  )).pipe(
    Command.withDescription("Run gateways and dispatchers as separate local processes behind a round-robin proxy")
  )

export const serverCommands = [start, migrate, cluster] as const

const serverCommandNames = new Set([start, migrate, cluster].flatMap((command) => [...Command.getNames(command as Command.Command<string, never, unknown, unknown>)]))

/** Global flags that take a value: the word after them is not the command. */
const valueFlags = new Set(["--endpoint", "--api-key", "--tenant"])

/** Whether `args` (argv after the script) run one of the server's commands. */
export const isServerCommand = (args: ReadonlyArray<string>): boolean => {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (arg === "--") return false
    if (arg.startsWith("-")) {
      if (valueFlags.has(arg)) i++
      continue
    }
    return serverCommandNames.has(arg)
  }
  return false
}
