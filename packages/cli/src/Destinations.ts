/** `signal destinations …`. */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import { SignalJsonClient } from "@signal/client/SignalJsonClient"
import type { DestinationListItem } from "@signal/client/Types"
import { Effect, Option } from "effect"
import { UsageError } from "./CliError"
import { groupCommand } from "./Derived"
import * as Flags from "./Flags"
import { type Column, list, output, outputDetails, outputPage, truncate } from "./Output"
import { globalOptions, requireTenant, withSettings } from "./Settings"

const methods = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const
const retryTypes = ["exponential", "linear"] as const
/** The server's default policy, used to fill in a partly given `--retry*`. */
const defaultRetry = { type: "exponential", delaySeconds: 30, maxAttempts: 8 } as const

const detailOrder = [
  "id",
  "name",
  "description",
  "status",
  "active",
  "disabledReason",
  "variant",
  "eventTypes",
  "topics",
  "senderId",
  "retry",
  "timeoutSeconds",
  "maxConcurrency",
  "rateLimitPerSecond",
  "headers",
  "circuit",
  "webhook",
  "tenantId",
  "createdAt",
  "updatedAt"
]

export const destinationColumns: ReadonlyArray<Column<DestinationListItem>> = [
  { header: "ID", cell: (d) => d.id },
  { header: "NAME", cell: (d) => truncate(d.name, 32) },
  { header: "STATUS", cell: (d) => d.status },
  { header: "CIRCUIT", cell: (d) => d.circuit.state },
  { header: "EVENT TYPES", cell: (d) => truncate(list(d.eventTypes, "*"), 40) },
  { header: "URL", cell: (d) => `${d.variant.method} ${d.variant.url}` }
]

/** Fields shared by `create` and `update`; all optional here, `create` checks its required ones. */
const fields = {
  name: Flags.optionalText("name", "Display name"),
  url: Flags.optionalText("url", "Receiver URL (http or https)"),
  method: Options.choice("method", methods).pipe(Options.withDescription("HTTP method (default POST)"), Options.optional),
  description: Flags.optionalText("description", "Free text"),
  sender: Flags.optionalText("sender", "Only receive events from this sender (snd_…)"),
  eventTypes: Flags.repeated("event-type", "Event types to receive; none means all"),
  topics: Flags.repeated("topic", "Only receive events carrying one of these topics"),
  headers: Flags.headers("Custom header sent with every delivery"),
  retry: Options.choice("retry", retryTypes).pipe(
    Options.withDescription("Retry strategy (default exponential)"),
    Options.optional
  ),
  retryDelay: Flags.optionalInteger("retry-delay", "Base retry delay in seconds (default 30)"),
  retryMaxAttempts: Flags.optionalInteger("retry-max-attempts", "Attempts before giving up (default 8)"),
  timeout: Flags.optionalInteger("timeout", "Delivery timeout in seconds (default 30)"),
  maxConcurrency: Flags.optionalInteger("max-concurrency", "Deliveries in flight at once (default 10)"),
  rateLimit: Flags.optionalInteger("rate-limit", "Deliveries per second (default unlimited)")
}

type Fields = {
  readonly [K in keyof typeof fields]: (typeof fields)[K] extends Options.Options<infer A> ? A : never
}

/** The `--retry*` flags given, the rest of the policy from `base` (the server's default, or what the destination has). */
const retryPolicy = (
  flags: Fields,
  base: { readonly type: (typeof retryTypes)[number]; readonly delaySeconds: number; readonly maxAttempts: number } =
    defaultRetry
) =>
  Option.isNone(flags.retry) && Option.isNone(flags.retryDelay) && Option.isNone(flags.retryMaxAttempts)
    ? undefined
    : {
      type: Option.getOrElse(flags.retry, () => base.type),
      delaySeconds: Option.getOrElse(flags.retryDelay, () => base.delaySeconds),
      maxAttempts: Option.getOrElse(flags.retryMaxAttempts, () => base.maxAttempts)
    }

/** Whether only part of the receiver or of the retry policy is given: the rest then comes from the destination. */
const partial = (flags: Fields) =>
  Option.isSome(flags.url) !== Option.isSome(flags.method) ||
  [Option.isSome(flags.retry), Option.isSome(flags.retryDelay), Option.isSome(flags.retryMaxAttempts)].filter(Boolean).length % 3 !== 0

/** The fields given on the command line, in the API's shape (absent flags stay absent). */
const changes = (flags: Fields) =>
  Effect.map(Flags.parseHeaders(flags.headers), (headers) => ({
    name: Option.getOrUndefined(flags.name),
    description: Option.getOrUndefined(flags.description),
    senderId: Option.getOrUndefined(flags.sender),
    eventTypes: flags.eventTypes,
    topics: flags.topics,
    headers,
    retry: retryPolicy(flags),
    timeoutSeconds: Option.getOrUndefined(flags.timeout),
    maxConcurrency: Option.getOrUndefined(flags.maxConcurrency),
    rateLimitPerSecond: Option.getOrUndefined(flags.rateLimit)
  }))

const destinationId = Flags.id("destination-id", "Destination id (dst_…)")

const create = Command.make(
  "create",
  {
    ...globalOptions,
    ...fields,
    name: Options.text("name").pipe(Options.withDescription("Display name")),
    url: Options.text("url").pipe(Options.withDescription("Receiver URL (http or https)")),
    disabled: Options.boolean("disabled").pipe(Options.withDescription("Create it paused"))
  },
  (flags) =>
    Effect.gen(function*() {
      const api = yield* SignalJsonClient
      const tenantId = yield* requireTenant
      const given = yield* changes({ ...flags, name: Option.some(flags.name), url: Option.some(flags.url) })
      const destination = yield* api.eventDestination.create({
        ...given,
        tenantId,
        name: flags.name,
        variant: { type: "http_endpoint", url: flags.url, method: Option.getOrUndefined(flags.method) },
        active: flags.disabled ? false : undefined
      })
      yield* outputDetails(destination, detailOrder)
    }).pipe(withSettings(flags))
).pipe(Command.withDescription("Create a webhook destination; prints its signing secret"))

const listCommand = Command.make("list", { ...globalOptions, ...Flags.page }, (flags) =>
  Effect.gen(function*() {
    const api = yield* SignalJsonClient
    const tenantId = yield* requireTenant
    const page = yield* api.eventDestination.list({ tenantId, ...Flags.pageInput(flags) })
    yield* outputPage(page, destinationColumns, "destinations")
  }).pipe(withSettings(flags))).pipe(Command.withDescription("List destinations"))

const get = Command.make("get", { ...globalOptions, destinationId }, (flags) =>
  Effect.gen(function*() {
    const api = yield* SignalJsonClient
    const tenantId = yield* requireTenant
    const destination = yield* api.eventDestination.get({ tenantId, eventDestinationId: flags.destinationId })
    yield* outputDetails(destination, detailOrder)
  }).pipe(withSettings(flags))).pipe(Command.withDescription("Show a destination, including its signing secret"))

const update = Command.make(
  "update",
  {
    ...globalOptions,
    destinationId,
    ...fields,
    allEventTypes: Options.boolean("all-event-types").pipe(
      Options.withDescription("Receive every event type (clears the event-type filter)")
    ),
    noSender: Options.boolean("any-sender").pipe(Options.withDescription("Receive events from every sender"))
  },
  (flags) =>
    Effect.gen(function*() {
      const api = yield* SignalJsonClient
      const tenantId = yield* requireTenant
      if (flags.allEventTypes && flags.eventTypes !== undefined) {
        return yield* new UsageError("conflicting_options", "--all-event-types and --event-type exclude each other")
      }
      // The API replaces the receiver and the retry policy as a whole: what is not given is kept as it is.
      const current = partial(flags)
        ? yield* api.eventDestination.get({ tenantId, eventDestinationId: flags.destinationId })
        : undefined
      const given = yield* changes(flags)
      const variant = Option.isSome(flags.url) || Option.isSome(flags.method)
        ? {
          type: "http_endpoint" as const,
          url: Option.getOrElse(flags.url, () => current!.variant.url),
          method: Option.getOrElse(flags.method, () => current!.variant.method)
        }
        : undefined
      const patch = {
        ...given,
        retry: current === undefined ? given.retry : retryPolicy(flags, current.retry),
        variant,
        eventTypes: flags.allEventTypes ? null : given.eventTypes,
        senderId: flags.noSender ? null : given.senderId
      }
      if (Object.values(patch).every((value) => value === undefined)) {
        return yield* new UsageError("nothing_to_update", "give at least one field to change (see --help)")
      }
      const destination = yield* api.eventDestination.update({ tenantId, eventDestinationId: flags.destinationId, ...patch })
      yield* outputDetails(destination, detailOrder)
    }).pipe(withSettings(flags))
).pipe(Command.withDescription("Change some fields of a destination; the others stay as they are"))

const remove = Command.make("delete", { ...globalOptions, destinationId }, (flags) =>
  Effect.gen(function*() {
    const api = yield* SignalJsonClient
    const tenantId = yield* requireTenant
    const deleted = yield* api.eventDestination.delete({ tenantId, eventDestinationId: flags.destinationId })
    yield* output(deleted, (d) => `deleted ${d.id}`)
  }).pipe(withSettings(flags))).pipe(Command.withDescription("Delete a destination"))

const rotateSecret = Command.make(
  "rotate-secret",
  {
    ...globalOptions,
    destinationId,
    graceSeconds: Flags.optionalInteger(
      "grace-seconds",
      "How long the old secret keeps signing next to the new one, 0–2592000 (default 86400)"
    )
  },
  (flags) =>
    Effect.gen(function*() {
      const api = yield* SignalJsonClient
      const tenantId = yield* requireTenant
      const destination = yield* api.eventDestination.rotateSecret({
        tenantId,
        eventDestinationId: flags.destinationId,
        graceSeconds: Option.getOrUndefined(flags.graceSeconds)
      })
      yield* outputDetails(destination, detailOrder)
    }).pipe(withSettings(flags))
).pipe(
  Command.withDescription("Give a destination a new signing secret and print it; the old one also signs until the grace ends")
)

const setActive = (name: "enable" | "disable", active: boolean) =>
  Command.make(name, { ...globalOptions, destinationId }, (flags) =>
    Effect.gen(function*() {
      const api = yield* SignalJsonClient
      const tenantId = yield* requireTenant
      const destination = yield* api.eventDestination.update({ tenantId, eventDestinationId: flags.destinationId, active })
      yield* output(destination, (d) => `${d.id} ${d.status}${d.disabledReason === null ? "" : ` (${d.disabledReason})`}`)
    }).pipe(withSettings(flags))).pipe(
      Command.withDescription(active ? "Resume deliveries to a destination" : "Pause deliveries to a destination")
    )

export const destinations = groupCommand("eventDestination", "Manage webhook destinations", [
    create,
    listCommand,
    get,
    update,
    remove,
    setActive("enable", true),
    setActive("disable", false),
    rotateSecret
  ])
