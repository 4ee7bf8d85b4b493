/**
 * The `signal` command tree. Other packages extend it with their own subcommands:
 *
 * ```ts
 * import { run, runMain } from "@signal/cli/Cli"
 * run([start, migrate]).pipe(Effect.provide(Layer.mergeAll(NodeContext.layer, Logging.layer)), runMain)
 * ```
 *
 * Extra commands sit next to the built-in ones (`signal start`, `signal migrate`); they may read
 * the global flags with `yield* rootCommand` or resolve them fully with `withSettings(flags)`.
 */
import * as CliConfig from "@effect/cli/CliConfig"
import * as Command from "@effect/cli/Command"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Effect, Exit } from "effect"
import { analytics } from "./Analytics"
import { apiKeys } from "./ApiKeys"
import { withExitCode } from "./CliError"
import { attempts, intents } from "./Deliveries"
import { destinations } from "./Destinations"
import { events } from "./Events"
import { missingCommands } from "./Derived"
import { withDisplay } from "./Display"
import { listen } from "./Listen"
import { jsonWanted, rootCommand, withConfigFile } from "./Settings"
import { stoppedExitCode } from "./Stopping"
import { senders, tenants } from "./Tenants"

export const VERSION = "0.1.0"

const handWritten = [tenants, senders, apiKeys, destinations, events, intents, attempts, analytics, listen] as const

/**
 * The built-in subcommands, in the order `--help` lists them: the hand-written ones, then a
 * generic command for any part of the contract they do not reach (see `Derived.ts`).
 */
export const builtinCommands = [...handWritten, ...missingCommands(handWritten)] as const

// Any command, whatever it needs or fails with (as in @effect/cli's own signatures); the tree's
// types are computed from the actual commands passed in.
type AnyCommand = Command.Command<any, any, any, any>

/** `signal` with the built-in subcommands plus `extra` (e.g. the server's `start` and `migrate`). */
export const signalCommand = <const Extra extends ReadonlyArray<AnyCommand> = readonly []>(extra?: Extra) =>
  rootCommand.pipe(
    Command.withDescription("Signal: webhook delivery. Manage tenants, destinations and events; follow deliveries."),
    Command.withSubcommands([...builtinCommands, ...(extra ?? [])] as unknown as readonly [...typeof builtinCommands, ...Extra])
  )

/** Parses `argv` (as `process.argv`: runtime and script first) and runs the matching command. */
export const cli = <const Extra extends ReadonlyArray<AnyCommand> = readonly []>(extra?: Extra) =>
  Command.run(signalCommand(extra), { name: "signal", version: VERSION, executable: "signal" })

/**
 * The CLI as one Effect: parses `argv`, runs the command and yields the exit code: 0 on success,
 * 1 on errors (printed as `error: <code>: <message>` on stderr), 2 on usage errors.
 */
export const run = <const Extra extends ReadonlyArray<AnyCommand> = readonly []>(
  extra?: Extra,
  argv: ReadonlyArray<string> = process.argv
) =>
  Effect.flatMap(jsonWanted(argv), (json) => withExitCode(cli(extra)(argv), { json })).pipe(
    withConfigFile,
    withDisplay(argv),
    Effect.provide(CliConfig.layer({ showBuiltIns: false, showTypes: false }))
  )

/** Runs a program built with `run` as the process, exiting with its code (see `Stopping` for Ctrl-C). */
export const runMain = (program: Effect.Effect<number>): void =>
  NodeRuntime.runMain(program, {
    disableErrorReporting: true,
    // the program chooses its own logger (the server's is JSON in production)
    disablePrettyLogger: true,
    teardown: (exit, onExit) => {
      if (Exit.isSuccess(exit)) return onExit(typeof exit.value === "number" ? exit.value : 0)
      onExit(Cause.isInterruptedOnly(exit.cause) ? stoppedExitCode() : 1)
    }
  })

/** The plain `signal` CLI (no extra commands). */
export const main = (argv: ReadonlyArray<string> = process.argv): void =>
  runMain(run([], argv).pipe(Effect.provide(NodeContext.layer)))
