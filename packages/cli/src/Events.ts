/** `signal events …`. */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as FileSystem from "@effect/platform/FileSystem"
import { SignalJsonClient } from "@signal/client/SignalJsonClient"
import type { Event } from "@signal/client/Types"
import { Effect, Option } from "effect"
import { CliFailure, UsageError } from "./CliError"
import { groupCommand } from "./Derived"
import * as Flags from "./Flags"
import { type Column, list, outputDetails, outputPage, time, truncate } from "./Output"
import { globalOptions, requireTenant, withSettings } from "./Settings"
import { tail } from "./Tail"

export const eventStatuses = ["pending", "succeeded", "failed", "partially_failed"] as const

export const eventColumns: ReadonlyArray<Column<Event>> = [
  { header: "ID", cell: (e) => e.id },
  { header: "TYPE", cell: (e) => truncate(e.type, 40) },
  { header: "STATUS", cell: (e) => e.status },
  { header: "DELIVERED", cell: (e) => `${e.successCount}/${e.destinationCount}${e.failureCount > 0 ? ` (${e.failureCount} failed)` : ""}` },
  { header: "TOPICS", cell: (e) => truncate(list(e.topics), 30) },
  { header: "CREATED", cell: (e) => time(e.createdAt) }
]

const detailOrder = [
  "id",
  "type",
  "status",
  "destinationCount",
  "successCount",
  "failureCount",
  "topics",
  "senderId",
  "tenantId",
  "idempotencyKey",
  "expiresAt",
  "createdAt",
  "headers",
  "payload"
]

const readStdin: Effect.Effect<string, CliFailure> = Effect.tryPromise({
  try: async () => {
    const chunks: Array<Buffer> = []
    for await (const chunk of process.stdin) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk)
    return Buffer.concat(chunks).toString("utf8")
  },
  catch: (error) => new CliFailure("stdin", `cannot read stdin: ${String(error)}`)
})

/** The payload text from `--data`, `--file` (`-` = stdin) or piped stdin, checked to be JSON. */
const payloadText = (flags: { readonly data: Option.Option<string>; readonly file: Option.Option<string> }) =>
  Effect.gen(function*() {
    if (Option.isSome(flags.data) && Option.isSome(flags.file)) {
      return yield* new UsageError("conflicting_options", "give the payload with --data or --file, not both")
    }
    let source: string
    let raw: string
    if (Option.isSome(flags.data)) {
      source = "--data"
      raw = flags.data.value
    } else if (Option.isSome(flags.file) && flags.file.value !== "-") {
      const fs = yield* FileSystem.FileSystem
      const path = flags.file.value
      source = path
      raw = yield* fs.readFileString(path).pipe(
        Effect.mapError((error) => new UsageError("unreadable_file", `cannot read ${path}: ${error.message}`))
      )
    } else if (Option.isSome(flags.file) || !process.stdin.isTTY) {
      source = "stdin"
      raw = yield* readStdin
    } else {
      return yield* new UsageError("missing_payload", "give the payload with --data '<json>', --file <path> or on stdin")
    }
    if (raw.trim() === "") return yield* new UsageError("missing_payload", `the payload from ${source} is empty`)
    try {
      JSON.parse(raw)
    } catch (error) {
      return yield* new UsageError("invalid_json", `the payload from ${source} is not JSON: ${(error as Error).message}`)
    }
    return raw
  })

const publish = Command.make(
  "publish",
  {
    ...globalOptions,
    type: Options.text("type").pipe(Options.withAlias("t"), Options.withDescription("Event type, e.g. payment.created")),
    sender: Options.text("sender").pipe(Options.withDescription("Sender id (snd_…)")),
    topics: Flags.repeated("topic", "Topic"),
    data: Options.text("data").pipe(Options.withAlias("d"), Options.withDescription("Payload as JSON text"), Options.optional),
    file: Options.text("file").pipe(
      Options.withAlias("f"),
      Options.withDescription("Read the JSON payload from this file ('-' for stdin)"),
      Options.optional
    ),
    headers: Flags.headers("Header delivered with this event"),
    destinations: Flags.repeated("destination", "Deliver only to these destinations (dst_…)"),
    idempotencyKey: Flags.optionalText("idempotency-key", "Publishing the same key again returns the first event"),
    ttl: Flags.optionalInteger("ttl", "Give up delivering after this many seconds")
  },
  (flags) =>
    Effect.gen(function*() {
      const api = yield* SignalJsonClient
      const tenantId = yield* requireTenant
      const payloadJson = yield* payloadText(flags)
      const headers = yield* Flags.parseHeaders(flags.headers)
      const event = yield* api.event.create({
        tenantId,
        senderId: flags.sender,
        eventType: flags.type,
        topics: flags.topics,
        payloadJson,
        headers,
        onlyForDestinations: flags.destinations,
        idempotencyKey: Option.getOrUndefined(flags.idempotencyKey),
        ttlSeconds: Option.getOrUndefined(flags.ttl)
      })
      yield* outputDetails(event, detailOrder)
    }).pipe(withSettings(flags))
).pipe(Command.withDescription("Publish an event (payload from --data, --file or stdin)"))

const listCommand = Command.make(
  "list",
  {
    ...globalOptions,
    ...Flags.page,
    types: Flags.repeated("type", "Event type"),
    topics: Flags.repeated("topic", "Topic"),
    senders: Flags.repeated("sender", "Sender id"),
    status: Flags.repeatedChoice("status", eventStatuses, "Status"),
    after: Flags.optionalText("created-after", "Only events created after this ISO time"),
    before: Flags.optionalText("created-before", "Only events created before this ISO time")
  },
  (flags) =>
    Effect.gen(function*() {
      const api = yield* SignalJsonClient
      const tenantId = yield* requireTenant
      const page = yield* api.event.list({
        tenantId,
        ...Flags.pageInput(flags),
        eventTypes: flags.types,
        topics: flags.topics,
        senderIds: flags.senders,
        status: flags.status,
        createdAfter: Option.getOrUndefined(flags.after),
        createdBefore: Option.getOrUndefined(flags.before)
      })
      yield* outputPage(page, eventColumns, "events")
    }).pipe(withSettings(flags))
).pipe(Command.withDescription("List events, newest first"))

const get = Command.make("get", { ...globalOptions, eventId: Flags.id("event-id", "Event id (evt_…)") }, (flags) =>
  Effect.gen(function*() {
    const api = yield* SignalJsonClient
    const tenantId = yield* requireTenant
    yield* outputDetails(yield* api.event.get({ tenantId, eventId: flags.eventId }), detailOrder)
  }).pipe(withSettings(flags))).pipe(Command.withDescription("Show an event with its delivery counts and payload"))

export const events = groupCommand("event", "Publish and inspect events", [publish, listCommand, get, tail])
