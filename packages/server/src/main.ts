import { Command, Options } from "@effect/cli"
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import * as Database from "@signal/store/Database"
import { Effect, Layer, Option } from "effect"
import * as Logging from "./Logging"
import { Role } from "./ServerConfig"
import { ServerLive } from "./Server"

const role = Options.choice("role", Role.literals).pipe(
  Options.withDescription("all (default), gateway or dispatcher; overrides SIGNAL_ROLE"),
  Options.optional
)

const start = Command.make("start", { role }, ({ role }) =>
  Effect.gen(function*() {
    if (Option.isSome(role)) process.env.SIGNAL_ROLE = role.value
    yield* Layer.launch(ServerLive)
  })).pipe(Command.withDescription("Run Signal (gateway and dispatcher on embedded Postgres unless configured otherwise)"))

const migrate = Command.make("migrate", {}, () =>
  Effect.logInfo("migrations applied").pipe(Effect.provide(Database.layer()))).pipe(
    Command.withDescription("Apply database migrations and exit")
  )

const signal = Command.make("signal").pipe(
  Command.withDescription("Signal webhook delivery service"),
  Command.withSubcommands([start, migrate])
)

const cli = Command.run(signal, { name: "signal", version: "0.1.0" })

cli(process.argv).pipe(
  Effect.provide(Layer.mergeAll(NodeContext.layer, Logging.layer)),
  NodeRuntime.runMain({ disableErrorReporting: false })
)
