/**
 * The command tree read off the contract. Hand-written commands (tables, friendly flags) stand
 * for the operations they run; every other operation of `SignalApi` gets a generic command here,
 * so an endpoint added to the contract is on the command line without touching the CLI:
 *
 *   signal <group> <operation> [path ids…] [--query-param …] [--data '<json body>']
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import { methodOf, type Operation, operations } from "@signal/client/Operations"
import { SignalJsonClient } from "@signal/client/SignalJsonClient"
import { Effect, Option } from "effect"
import { UsageError } from "./CliError"
import * as Flags from "./Flags"
import { output, renderDetails } from "./Output"
import { globalOptions, requireTenant, withSettings } from "./Settings"

/** `eventDestination` → `event-destination`. */
export const kebab = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase()

/** Where a contract group's commands live when its name is not what people type. */
const groupCommandNames: Readonly<Record<string, string>> = {
  tenant: "tenants",
  sender: "senders",
  apiKey: "api-keys",
  eventDestination: "destinations",
  event: "events",
  eventDeliveryIntent: "intents",
  eventDeliveryAttempt: "attempts"
}

/** Operations whose hand-written command carries another name; `""` is the group command itself. */
const leafCommandNames: Readonly<Record<string, string>> = {
  "event.create": "publish",
  // `signal analytics [--destination dst_…]` answers both
  "analytics.tenant": "",
  "analytics.destination": ""
}

export const groupCommandName = (group: string) => groupCommandNames[group] ?? kebab(group)

/** The words that reach an operation's command: `["destinations", "rotate-secret"]`, `["health"]`. */
export const commandPath = (operation: Operation): ReadonlyArray<string> => {
  const leaf = leafCommandNames[operation.id] ?? kebab(operation.name)
  const path = operation.group === undefined ? [leaf] : [groupCommandName(operation.group), leaf]
  return path.filter((word) => word !== "")
}

const summaryOf = (operation: Operation) => operation.summary ?? `${operation.method} ${operation.path}`

const parseBody = (data: Option.Option<string>) =>
  Option.match(data, {
    onNone: () => Effect.succeed<Record<string, unknown>>({}),
    onSome: (text) =>
      Effect.try({
        try: () => JSON.parse(text) as unknown,
        catch: () => new UsageError("invalid_json", "--data is not valid JSON")
      }).pipe(
        Effect.filterOrFail(
          (body): body is Record<string, unknown> => typeof body === "object" && body !== null && !Array.isArray(body),
          () => new UsageError("invalid_json", "--data must be a JSON object (the request body)")
        )
      )
  })

const show = (value: unknown) =>
  value !== null && typeof value === "object" && !Array.isArray(value) ? renderDetails(value) : JSON.stringify(value, null, 2)

/** The generic command of one operation: ids as arguments, query parameters as flags, the body as `--data`. */
export const operationCommand = (operation: Operation) => {
  const ids = operation.pathParams.filter((param) => param.wire !== "tenantId")
  const usesTenant = operation.pathParams.length > ids.length
  const args = Object.fromEntries(
    ids.map((param) => [param.input, Args.text({ name: kebab(param.input) }).pipe(Args.withDescription(param.input))])
  )
  const query = Object.fromEntries(
    operation.urlParams.map((param) => [
      param.name,
      param.list ? Flags.repeated(kebab(param.name), param.name) : Flags.optionalText(kebab(param.name), param.name).pipe(
        Options.map(Option.getOrUndefined)
      )
    ])
  )
  const data = operation.hasPayload
    ? Flags.optionalText("data", "The request body as a JSON object")
    : Options.none.pipe(Options.map(() => Option.none<string>()))
  return Command.make(
    commandPath(operation).at(-1)!,
    {
      ...globalOptions,
      ids: ids.length === 0 ? Args.none.pipe(Args.map(() => ({}))) : Args.all(args),
      query: operation.urlParams.length === 0 ? Options.none.pipe(Options.map(() => ({}))) : Options.all(query),
      data
    },
    (flags) =>
      Effect.gen(function*() {
        const api = yield* SignalJsonClient
        const body = operation.hasPayload ? yield* parseBody(flags.data) : {}
        const tenant = usesTenant ? { tenantId: yield* requireTenant } : {}
        const call = methodOf<(input: unknown) => Effect.Effect<unknown, unknown>>(api, operation)
        yield* output(yield* call({ ...body, ...tenant, ...flags.ids, ...flags.query }), show)
      }).pipe(withSettings(flags))
  ).pipe(Command.withDescription(summaryOf(operation)))
}

type AnyCommand = Command.Command<any, any, any, any>

const namesOf = (commands: ReadonlyArray<AnyCommand>) => new Set(commands.flatMap((command) => [...Command.getNames(command)]))

/**
 * A contract group's command: the hand-written subcommands first, then a generic one for each of
 * the group's operations none of them stands for.
 */
export const groupCommand = <const C extends readonly [AnyCommand, ...Array<AnyCommand>]>(
  group: string,
  description: string,
  handWritten: C
) => {
  const taken = namesOf(handWritten)
  const derived = operations
    .filter((operation) => operation.group === group && !taken.has(commandPath(operation).at(-1)!))
    .map(operationCommand)
  return Command.make(groupCommandName(group)).pipe(
    Command.withDescription(description),
    Command.withSubcommands([...handWritten, ...derived] as unknown as readonly [...C, DerivedCommand])
  )
}

type DerivedCommand = ReturnType<typeof operationCommand>

/**
 * Commands for what the hand-written tree (`existing`) does not reach at all: whole contract
 * groups it has no command for, and top-level operations (`signal health`).
 */
export const missingCommands = (existing: ReadonlyArray<AnyCommand>) => {
  const taken = namesOf(existing)
  const groups = [...new Set(operations.flatMap((operation) => operation.group === undefined ? [] : [operation.group]))]
    .filter((group) => !taken.has(groupCommandName(group)))
    .map((group) => {
      const [first, ...rest] = operations.filter((operation) => operation.group === group).map(operationCommand)
      return Command.make(groupCommandName(group)).pipe(
        Command.withDescription(`The ${group} operations of the API`),
        Command.withSubcommands([first!, ...rest])
      )
    })
  const topLevel = operations
    .filter((operation) => operation.group === undefined && !taken.has(commandPath(operation)[0]!))
    .map(operationCommand)
  return [...groups, ...topLevel] as ReadonlyArray<DerivedCommand>
}
