import { Schema } from "effect"
import { createHash, randomBytes } from "node:crypto"
import { ApiKeyId, TenantId } from "./Ids"
import { Name } from "./Tenant"
import { everyProblem } from "./Problems"

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
}).annotations(everyProblem)
export type CreateApiKey = typeof CreateApiKey.Type

/** The answer to a create: the only time the plaintext key is shown (Signal keeps its SHA-256). */
export const CreatedApiKey = Schema.Struct({
  ...ApiKey.fields,
  key: Schema.String.annotations({ description: "The secret key; shown only in this response." })
})
export type CreatedApiKey = typeof CreatedApiKey.Type

/** `sk_` + 32 random bytes, base64url. */
export const generateApiKey = (): string => `${API_KEY_PREFIX}${randomBytes(32).toString("base64url")}`

/** What is stored and looked up: the hex SHA-256 of the key (keys are random, so no salt is needed). */
export const hashApiKey = (key: string): string => createHash("sha256").update(key, "utf8").digest("hex")

/** What lists show: `sk_` and the first 8 characters after it. */
export const displayPrefix = (key: string): string => key.slice(0, API_KEY_PREFIX.length + 8)
