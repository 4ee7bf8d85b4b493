/** `signal intents …` and `signal attempts …`. */
import * as Command from "@effect/cli/Command"
import { SignalJsonClient } from "@signal/client/SignalJsonClient"
import type { DeliveryAttempt, DeliveryIntent } from "@signal/client/Types"
import { Effect } from "effect"
import { groupCommand } from "./Derived"
import * as Flags from "./Flags"
import { type Column, output, outputDetails, outputPage, text, time, truncate } from "./Output"
import { globalOptions, requireTenant, withSettings } from "./Settings"

export const intentStatuses = ["pending", "retrying", "succeeded", "failed"] as const
export const attemptStatuses = ["succeeded", "failed"] as const

const errorCell = (error: { readonly code: string; readonly message: string } | null) =>
  error === null ? "-" : truncate(`${error.code}: ${error.message}`, 60)

export const intentColumns: ReadonlyArray<Column<DeliveryIntent>> = [
  { header: "ID", cell: (i) => i.id },
  { header: "EVENT", cell: (i) => `${i.eventId} ${truncate(i.event.type, 30)}` },
  { header: "DESTINATION", cell: (i) => `${i.destinationId} ${truncate(i.destination.name, 24)}` },
  { header: "STATUS", cell: (i) => i.status },
  { header: "ATTEMPTS", cell: (i) => String(i.attemptCount) },
  { header: "NEXT ATTEMPT", cell: (i) => time(i.nextAttemptAt) },
  { header: "ERROR", cell: (i) => errorCell(i.error) }
]

export const attemptColumns: ReadonlyArray<Column<DeliveryAttempt>> = [
  { header: "ID", cell: (a) => a.id },
  { header: "EVENT", cell: (a) => a.eventId },
  { header: "DESTINATION", cell: (a) => a.destinationId },
  { header: "#", cell: (a) => String(a.attemptNumber) },
  { header: "STATUS", cell: (a) => a.status },
  { header: "HTTP", cell: (a) => text(a.response?.statusCode) },
  { header: "DURATION", cell: (a) => `${a.durationMs}ms` },
  { header: "STARTED", cell: (a) => time(a.startedAt) },
  { header: "ERROR", cell: (a) => errorCell(a.error) }
]

const intentOrder = ["id", "status", "attemptCount", "nextAttemptAt", "lastAttemptAt", "error", "event", "destination"]
const attemptOrder = ["id", "status", "attemptNumber", "durationMs", "startedAt", "completedAt", "error", "intent", "response"]

const intentId = Flags.id("intent-id", "Delivery intent id (int_…)")

const listIntents = Command.make(
  "list",
  {
    ...globalOptions,
    ...Flags.page,
    events: Flags.repeated("event", "Event id"),
    destinations: Flags.repeated("destination", "Destination id"),
    status: Flags.repeatedChoice("status", intentStatuses, "Status")
  },
  (flags) =>
    Effect.gen(function*() {
      const api = yield* SignalJsonClient
      const tenantId = yield* requireTenant
      const page = yield* api.eventDeliveryIntent.list({
        tenantId,
        ...Flags.pageInput(flags),
        eventIds: flags.events,
        destinationIds: flags.destinations,
        status: flags.status
      })
      yield* outputPage(page, intentColumns, "delivery intents")
    }).pipe(withSettings(flags))
).pipe(Command.withDescription("List delivery intents (one per event and destination)"))

const getIntent = Command.make("get", { ...globalOptions, intentId }, (flags) =>
  Effect.gen(function*() {
    const api = yield* SignalJsonClient
    const tenantId = yield* requireTenant
    yield* outputDetails(yield* api.eventDeliveryIntent.get({ tenantId, eventDeliveryIntentId: flags.intentId }), intentOrder)
  }).pipe(withSettings(flags))).pipe(Command.withDescription("Show a delivery intent"))

const retryIntent = Command.make("retry", { ...globalOptions, intentId }, (flags) =>
  Effect.gen(function*() {
    const api = yield* SignalJsonClient
    const tenantId = yield* requireTenant
    const intent = yield* api.eventDeliveryIntent.retry({ tenantId, eventDeliveryIntentId: flags.intentId })
    yield* output(intent, (i) => `${i.id} ${i.status}, next attempt ${time(i.nextAttemptAt)}`)
  }).pipe(withSettings(flags))).pipe(Command.withDescription("Deliver an intent again now"))

export const intents = groupCommand("eventDeliveryIntent", "Inspect and retry delivery intents", [listIntents, getIntent, retryIntent])

const listAttempts = Command.make(
  "list",
  {
    ...globalOptions,
    ...Flags.page,
    events: Flags.repeated("event", "Event id"),
    intents: Flags.repeated("intent", "Delivery intent id"),
    destinations: Flags.repeated("destination", "Destination id"),
    status: Flags.repeatedChoice("status", attemptStatuses, "Status")
  },
  (flags) =>
    Effect.gen(function*() {
      const api = yield* SignalJsonClient
      const tenantId = yield* requireTenant
      const page = yield* api.eventDeliveryAttempt.list({
        tenantId,
        ...Flags.pageInput(flags),
        eventIds: flags.events,
        intentIds: flags.intents,
        destinationIds: flags.destinations,
        status: flags.status
      })
      yield* outputPage(page, attemptColumns, "delivery attempts")
    }).pipe(withSettings(flags))
).pipe(Command.withDescription("List delivery attempts (every HTTP call made)"))

const getAttempt = Command.make(
  "get",
  { ...globalOptions, attemptId: Flags.id("attempt-id", "Delivery attempt id (att_…)") },
  (flags) =>
    Effect.gen(function*() {
      const api = yield* SignalJsonClient
      const tenantId = yield* requireTenant
      const attempt = yield* api.eventDeliveryAttempt.get({ tenantId, eventDeliveryAttemptId: flags.attemptId })
      yield* outputDetails(attempt, attemptOrder)
    }).pipe(withSettings(flags))
).pipe(Command.withDescription("Show a delivery attempt with the receiver's response"))

export const attempts = groupCommand("eventDeliveryAttempt", "Inspect delivery attempts", [listAttempts, getAttempt])
