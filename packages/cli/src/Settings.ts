/**
 * Global options (`--endpoint`, `--api-key`, `--tenant`, `--json`) and how they are resolved:
 * flag after the subcommand › flag before it › environment (`SIGNAL_ENDPOINT`, `SIGNAL_API_KEY`,
 * `SIGNAL_TENANT`, `SIGNAL_JSON`) › config file (`SIGNAL_CONFIG` or `~/.config/signal/config.json`)
 * › default. The root command's options fall back to `Config` (@effect/cli's own fallback), and
 * the config file is a `ConfigProvider` behind the environment, so both are read the same way.
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as FileSystem from "@effect/platform/FileSystem"
import { DEFAULT_ENDPOINT, SignalClient } from "@signal/client/SignalClient"
import { describeParseError } from "@signal/client/SignalClientError"
import { SignalJsonClient } from "@signal/client/SignalJsonClient"
import { Config, ConfigProvider, Context, Effect, Either, Layer, Option, Redacted, Schema } from "effect"
import { homedir } from "node:os"
import { join } from "node:path"
import { CliFailure, UsageError } from "./CliError"

const descriptions = {
  endpoint: `Signal API base URL (env SIGNAL_ENDPOINT, default ${DEFAULT_ENDPOINT})`,
  apiKey: "API key sent as a bearer token (env SIGNAL_API_KEY)",
  tenant: "Tenant id (ten_…) for tenant-scoped commands (env SIGNAL_TENANT)",
  json: "Print machine-readable JSON instead of tables, errors included (env SIGNAL_JSON)"
}

/** The options every command accepts after its name. */
export const globalOptions = {
  endpoint: Options.text("endpoint").pipe(Options.withDescription(descriptions.endpoint), Options.optional),
  apiKey: Options.redacted("api-key").pipe(Options.withDescription(descriptions.apiKey), Options.optional),
  tenant: Options.text("tenant").pipe(Options.withDescription(descriptions.tenant), Options.optional),
  json: Options.boolean("json").pipe(Options.withDescription(descriptions.json))
}

export type GlobalFlags = Command.Command.ParseConfig<typeof globalOptions>

/** The same options before the subcommand, each falling back to its `Config` (environment, then file). */
const rootOptions = {
  endpoint: Options.text("endpoint").pipe(
    Options.withDescription(descriptions.endpoint),
    Options.withFallbackConfig(Config.string("SIGNAL_ENDPOINT")),
    Options.optional
  ),
  apiKey: Options.redacted("api-key").pipe(
    Options.withDescription(descriptions.apiKey),
    Options.withFallbackConfig(Config.redacted("SIGNAL_API_KEY")),
    Options.optional
  ),
  tenant: Options.text("tenant").pipe(
    Options.withDescription(descriptions.tenant),
    Options.withFallbackConfig(Config.string("SIGNAL_TENANT")),
    Options.optional
  ),
  json: Options.boolean("json").pipe(
    Options.withDescription(descriptions.json),
    Options.withFallbackConfig(Config.boolean("SIGNAL_JSON"))
  )
}

/** The root `signal` command before its subcommands are attached; its tag carries the root flags. */
export const rootCommand = Command.make("signal", rootOptions)

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
        (error) => new CliFailure("invalid_config", `${path}: ${describeParseError(error)}`)
      )
    )
  })

/** The config file as this invocation found it: where, and what was wrong with it if anything. */
export class ConfigFileState extends Context.Tag("@signal/cli/ConfigFileState")<ConfigFileState, {
  readonly path: string
  readonly problem: Option.Option<CliFailure>
}>() {}

/** The environment, and behind it the config file's values under the same names. */
const providerWith = (file: ConfigFile) =>
  ConfigProvider.fromEnv().pipe(
    ConfigProvider.orElse(() =>
      ConfigProvider.fromJson({
        ...(file.endpoint === undefined ? {} : { SIGNAL_ENDPOINT: file.endpoint }),
        ...(file.apiKey === undefined ? {} : { SIGNAL_API_KEY: file.apiKey }),
        ...(file.tenant === undefined ? {} : { SIGNAL_TENANT: file.tenant }),
        ...(file.json === undefined ? {} : { SIGNAL_JSON: String(file.json) })
      })
    )
  )

/**
 * Runs the command line with the config file read: its values behind the environment for
 * `Config`, and a malformed file remembered (commands that need settings report it; `--help`
 * still works).
 */
export const withConfigFile = <A, E, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, E, Exclude<R, ConfigFileState> | FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const path = yield* configFilePath
    const file = yield* Effect.either(readConfigFile(path))
    return yield* effect.pipe(
      Effect.provideService(ConfigFileState, { path, problem: Either.getLeft(file) }),
      Effect.withConfigProvider(providerWith(Either.getOrElse(file, () => ({}))))
    )
  })

/** `--json` as this invocation will see it: a flag anywhere, else the environment, else the config file. */
export const jsonWanted = (argv: ReadonlyArray<string>): Effect.Effect<boolean> =>
  argv.includes("--json")
    ? Effect.succeed(true)
    : Config.boolean("SIGNAL_JSON").pipe(Config.withDefault(false), Effect.orElseSucceed(() => false))

const nonEmpty = <A>(value: Option.Option<A>) =>
  Option.filter(value, (v) => !(typeof v === "string" && v === "") && !(Redacted.isRedacted(v) && Redacted.value(v) === ""))

/** Resolves the settings of one invocation: the leaf's flags over the root's (flag, env or file). */
export const resolveSettings = (leaf: GlobalFlags) =>
  Effect.gen(function*() {
    const root = yield* rootCommand
    const state = yield* Effect.serviceOption(ConfigFileState)
    const configFile = Option.isSome(state) ? state.value.path : yield* configFilePath
    if (Option.isSome(state) && Option.isSome(state.value.problem)) return yield* state.value.problem.value
    const pick = <A>(...candidates: ReadonlyArray<Option.Option<A>>): Option.Option<A> =>
      Option.firstSomeOf(candidates.map(nonEmpty))
    return {
      endpoint: Option.getOrElse(pick(leaf.endpoint, root.endpoint), () => DEFAULT_ENDPOINT),
      apiKey: pick(leaf.apiKey, root.apiKey),
      tenant: pick(leaf.tenant, root.tenant),
      json: leaf.json || root.json,
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
