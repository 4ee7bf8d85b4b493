import * as NodeContext from "@effect/platform-node/NodeContext"
import { run, runMain } from "@signal/cli/Cli"
import { Console, Effect, Layer } from "effect"
import * as Logging from "./Logging"
import { serverCommands } from "./ServerCommands"

/** The `signal` command line: the client commands plus `start`, `migrate` and `cluster`. */
runMain(
  run(serverCommands).pipe(
    Effect.provide(Layer.mergeAll(NodeContext.layer, Logging.layer)),
    Effect.catchAll((error) => Effect.as(Console.error(`error: invalid_configuration: ${String(error)}`), 1))
  )
)
