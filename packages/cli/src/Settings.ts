/**
 * Global options (`--endpoint`, `--api-key`, `--tenant`, `--json`) and how they are resolved:
 * flag after the subcommand › flag before it › environment (`SIGNAL_ENDPOINT`, `SIGNAL_API_KEY`,
 * `SIGNAL_TENANT`) › config file (`SIGNAL_CONFIG` or `~/.config/signal/config.json`) › default.
 */
import { Command, Options } from "@effect/cli"
import { FetchHttpClient, FileSystem } from "@effect/platform"
import { DEFAULT_ENDPOINT, SignalClient } from "@signal/client/SignalClient"
import { SignalJsonClient } from "@signal/client/SignalJsonClient"
import { Config, Context, Effect, Layer, Option, ParseResult, Redacted, Schema } from "effect"
import { homedir } from "node:os"
import { join } from "node:path"
import { CliFailure, UsageError } from "./CliError"

/** The options every command accepts, before or after its name. */
export const globalOptions = {
  endpoint: Options.text("endpoint").pipe(
    Options.withDescription(`Signal API base URL (env SIGNAL_ENDPOINT, default ${DEFAULT_ENDPOINT})`),
    Options.optional
  ),
  apiKey: Options.redacted("api-key").pipe(
    Options.withDescription("API key sent as a bearer token (env SIGNAL_API_KEY)"),
    Options.optional
  ),
  tenant: Options.text("tenant").pipe(
    Options.withDescription("Tenant id (ten_…) for tenant-scoped commands (env SIGNAL_TENANT)"),
    Options.optional
  ),
  json: Options.boolean("json").pipe(Options.withDescription("Print machine-readable JSON instead of tables"))
}

export type GlobalFlags = Command.Command.ParseConfig<typeof globalOptions>

/** The root `signal` command before its subcommands are attached; its tag carries the root flags. */
export const rootCommand = Command.make("signal", globalOptions)

export interface Settings {
  readonly endpoint: string
  readonly apiKey: Option.Option<Redacted.Redacted<string>>
  readonly tenant: Option.Option<string>
  readonly json: boolean
  readonly configFile: string
}

export class CliSettings extends Context.Tag("@signal/cli/CliSettings")<CliSettings, Settings>() {}

const ConfigFile = Schema.parseJson(
  Schema.Struct({
    endpoint: Schema.optional(Schema.String),
    apiKey: Schema.optional(Schema.String),
    tenant: Schema.optional(Schema.String),
    json: Schema.optional(Schema.Boolean)
  })
)
type ConfigFile = typeof ConfigFile.Type

export const configFilePath: Effect.Effect<string> = Effect.gen(function*() {
  const explicit = yield* Config.option(Config.string("SIGNAL_CONFIG"))
  if (Option.isSome(explicit) && explicit.value !== "") return explicit.value
  const xdg = yield* Config.option(Config.string("XDG_CONFIG_HOME"))
  const base = Option.isSome(xdg) && xdg.value !== "" ? xdg.value : join(homedir(), ".config")
  return join(base, "signal", "config.json")
}).pipe(Effect.orDie)

/** Reads the config file; a missing file is an empty config, a malformed one an error. */
export const readConfigFile = (path: string): Effect.Effect<ConfigFile, CliFailure, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const exists = yield* fs.exists(path).pipe(Effect.orElseSucceed(() => false))
    if (!exists) return {}
    const text = yield* fs.readFileString(path).pipe(
      Effect.mapError((error) => new CliFailure("invalid_config", `cannot read ${path}: ${error.message}`))
    )
    return yield* Schema.decode(ConfigFile)(text).pipe(
      Effect.mapError(
        (error) => new CliFailure("invalid_config", `${path}: ${ParseResult.TreeFormatter.formatErrorSync(error)}`)
      )
    )
  })

const env = (name: string) =>
  Config.option(Config.string(name)).pipe(
    Effect.map(Option.filter((value) => value !== "")),
    Effect.orElseSucceed(() => Option.none<string>())
  )

/** Resolves the settings of one invocation from the leaf's flags, the root's flags, env and file. */
export const resolveSettings = (leaf: GlobalFlags) =>
  Effect.gen(function*() {
    const root = yield* rootCommand
    const configFile = yield* configFilePath
    const file = yield* readConfigFile(configFile)
    const pick = <A>(...candidates: ReadonlyArray<Option.Option<A>>): Option.Option<A> =>
      Option.firstSomeOf(candidates)
    const endpoint = pick(leaf.endpoint, root.endpoint, yield* env("SIGNAL_ENDPOINT"), Option.fromNullable(file.endpoint))
    const apiKey = pick(
      leaf.apiKey,
      root.apiKey,
      Option.map(yield* env("SIGNAL_API_KEY"), Redacted.make),
      Option.map(Option.fromNullable(file.apiKey), Redacted.make)
    )
    const tenant = pick(leaf.tenant, root.tenant, yield* env("SIGNAL_TENANT"), Option.fromNullable(file.tenant))
    return {
      endpoint: Option.getOrElse(endpoint, () => DEFAULT_ENDPOINT),
      apiKey,
      tenant,
      json: leaf.json || root.json || file.json === true,
      configFile
    } satisfies Settings
  })

/** The tenant for tenant-scoped commands, or a usage error saying how to give one. */
export const requireTenant: Effect.Effect<string, UsageError, CliSettings> = Effect.flatMap(CliSettings, (settings) =>
  Option.match(settings.tenant, {
    onNone: () =>
      Effect.fail(
        new UsageError(
          "missing_tenant",
          `no tenant given: pass --tenant <ten_…>, set SIGNAL_TENANT or add "tenant" to ${settings.configFile}`
        )
      ),
    onSome: Effect.succeed
  }))

/** Settings plus an API client for them. */
export const contextLayer = (settings: Settings): Layer.Layer<CliSettings | SignalJsonClient> =>
  Layer.merge(
    Layer.succeed(CliSettings, settings),
    SignalJsonClient.Default.pipe(
      Layer.provide(SignalClient.layer({ endpoint: settings.endpoint, apiKey: Option.getOrUndefined(settings.apiKey) })),
      Layer.provide(FetchHttpClient.layer)
    )
  )

/**
 * Runs a command body with its resolved settings and API client in context; every built-in leaf
 * command goes through this, and commands added by other packages may too.
 */
export const withSettings = (flags: GlobalFlags) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(resolveSettings(flags), (settings) => Effect.provide(effect, contextLayer(settings)))
