import { Schema } from "effect"
import { ApiKeyId, TenantId } from "./Ids"
import { Name } from "./Tenant"
import { everyBodyProblem } from "./Problems"

/** Tenant keys start with this; anything else is only ever compared with the admin key. */
export const API_KEY_PREFIX = "sk_"

/** A tenant API key as listed: never the key itself, only the first characters to recognise it. */
export class ApiKey extends Schema.Class<ApiKey>("ApiKey")({
  id: ApiKeyId,
  tenantId: TenantId,
  name: Schema.String,
  prefix: Schema.String,
  createdAt: Schema.DateTimeUtc,
  lastUsedAt: Schema.NullOr(Schema.DateTimeUtc),
  revokedAt: Schema.NullOr(Schema.DateTimeUtc)
}) {}

export const CreateApiKey = Schema.Struct({
  name: Schema.optionalWith(Name, { default: () => "default" })
}).annotations(everyBodyProblem)
export type CreateApiKey = typeof CreateApiKey.Type

/** The answer to a create: the only time the plaintext key is shown (Signal keeps its SHA-256). */
export const CreatedApiKey = Schema.Struct({
  ...ApiKey.fields,
  key: Schema.String.annotations({ description: "The secret key; shown only in this response." })
})
export type CreatedApiKey = typeof CreatedApiKey.Type

/** What lists show: `sk_` and the first 8 characters after it. */
export const displayPrefix = (key: string): string => key.slice(0, API_KEY_PREFIX.length + 8)
