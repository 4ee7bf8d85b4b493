/** `signal api-keys …`: a tenant's API keys (managed with the admin key). */
import * as Command from "@effect/cli/Command"
import { SignalJsonClient } from "@signal/client/SignalJsonClient"
import type { ApiKey } from "@signal/client/Types"
import { Effect, Option } from "effect"
import { groupCommand } from "./Derived"
import * as Flags from "./Flags"
import { type Column, output, outputPage, renderDetails, time } from "./Output"
import { globalOptions, requireTenant, withSettings } from "./Settings"

const detailOrder = ["id", "name", "key", "prefix", "tenantId", "createdAt", "lastUsedAt", "revokedAt"]

export const apiKeyColumns: ReadonlyArray<Column<ApiKey>> = [
  { header: "ID", cell: (k) => k.id },
  { header: "NAME", cell: (k) => k.name },
  // the list never has the key itself: its first characters are what lets people recognise it
  { header: "PREFIX", cell: (k) => `${k.prefix}…` },
  { header: "CREATED", cell: (k) => time(k.createdAt) },
  { header: "LAST USED", cell: (k) => time(k.lastUsedAt) },
  { header: "STATUS", cell: (k) => (k.revokedAt === null ? "active" : "revoked") }
]

const create = Command.make(
  "create",
  { ...globalOptions, name: Flags.optionalText("name", "What the key is for (default \"default\")") },
  (flags) =>
    Effect.gen(function*() {
      const api = yield* SignalJsonClient
      const tenantId = yield* requireTenant
      const created = yield* api.apiKey.create({ tenantId, name: Option.getOrUndefined(flags.name) })
      // Signal keeps only the key's hash, so this answer is the one chance to copy it
      yield* output(
        created,
        (k) => `${renderDetails(k, detailOrder)}\n\nStore the key now: it is shown only once and cannot be retrieved later.`
      )
    }).pipe(withSettings(flags))
).pipe(Command.withDescription("Create an API key for the tenant; prints the key, which is shown only once"))

const listCommand = Command.make("list", { ...globalOptions, ...Flags.page }, (flags) =>
  Effect.gen(function*() {
    const api = yield* SignalJsonClient
    const tenantId = yield* requireTenant
    yield* outputPage(yield* api.apiKey.list({ tenantId, ...Flags.pageInput(flags) }), apiKeyColumns, "API keys")
  }).pipe(withSettings(flags))).pipe(Command.withDescription("List the tenant's API keys (never the keys themselves)"))

const revoke = Command.make(
  "revoke",
  { ...globalOptions, apiKeyId: Flags.id("api-key-id", "API key id (key_…)") },
  (flags) =>
    Effect.gen(function*() {
      const api = yield* SignalJsonClient
      const tenantId = yield* requireTenant
      const revoked = yield* api.apiKey.revoke({ tenantId, apiKeyId: flags.apiKeyId })
      yield* output(revoked, (k) => `revoked ${k.id} at ${time(k.revokedAt)}`)
    }).pipe(withSettings(flags))
).pipe(Command.withDescription("Revoke an API key; requests with it are refused from now on"))

export const apiKeys = groupCommand("apiKey", "Manage the tenant's API keys (admin only: a tenant key cannot)", [create, listCommand, revoke])
