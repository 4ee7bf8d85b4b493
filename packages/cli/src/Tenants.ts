/** `signal tenants …` and `signal senders …`. */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import { SignalJsonClient } from "@signal/client/SignalJsonClient"
import { Effect, Option } from "effect"
import { groupCommand } from "./Derived"
import * as Flags from "./Flags"
import { outputDetails } from "./Output"
import { globalOptions, requireTenant, withSettings } from "./Settings"

const identifier = Options.text("identifier").pipe(
  Options.withDescription("Stable external identifier; upserting the same identifier updates the record")
)
const name = Options.text("name").pipe(Options.withDescription("Display name"))
const order = ["id", "identifier", "name", "createdAt", "updatedAt"]

const tenantsUpsert = Command.make("upsert", { ...globalOptions, identifier, name }, (flags) =>
  Effect.gen(function*() {
    const api = yield* SignalJsonClient
    yield* outputDetails(yield* api.tenant.upsert({ identifier: flags.identifier, name: flags.name }), order)
  }).pipe(withSettings(flags))).pipe(Command.withDescription("Create a tenant, or rename the one with this identifier"))

const tenantsGet = Command.make(
  "get",
  {
    ...globalOptions,
    tenantId: Args.text({ name: "tenant-id" }).pipe(
      Args.withDescription("Tenant id (defaults to --tenant)"),
      Args.optional
    )
  },
  (flags) =>
    Effect.gen(function*() {
      const api = yield* SignalJsonClient
      const tenantId = Option.isSome(flags.tenantId) ? flags.tenantId.value : yield* requireTenant
      yield* outputDetails(yield* api.tenant.get({ tenantId }), order)
    }).pipe(withSettings(flags))
).pipe(Command.withDescription("Show a tenant"))

export const tenants = groupCommand("tenant", "Manage tenants (isolated workspaces)", [tenantsUpsert, tenantsGet])

const sendersUpsert = Command.make("upsert", { ...globalOptions, identifier, name }, (flags) =>
  Effect.gen(function*() {
    const api = yield* SignalJsonClient
    yield* outputDetails(yield* api.sender.upsert({ identifier: flags.identifier, name: flags.name }), order)
  }).pipe(withSettings(flags))).pipe(Command.withDescription("Create a sender, or rename the one with this identifier"))

const sendersGet = Command.make("get", { ...globalOptions, senderId: Flags.id("sender-id", "Sender id (snd_…)") }, (flags) =>
  Effect.gen(function*() {
    const api = yield* SignalJsonClient
    yield* outputDetails(yield* api.sender.get({ senderId: flags.senderId }), order)
  }).pipe(withSettings(flags))).pipe(Command.withDescription("Show a sender"))

export const senders = groupCommand("sender", "Manage senders (the sources of events)", [sendersUpsert, sendersGet])
