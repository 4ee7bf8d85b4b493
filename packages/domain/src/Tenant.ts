import { Schema } from "effect"
import { TenantId } from "./Ids"
import { everyBodyProblem } from "./Problems"

export const Identifier = Schema.String.pipe(
  Schema.pattern(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, {
    message: () => "must be 1-128 characters of letters, digits, '.', '_', ':' or '-'"
  })
)

export const Name = Schema.String.pipe(Schema.minLength(1), Schema.maxLength(200))

export class Tenant extends Schema.Class<Tenant>("Tenant")({
  id: TenantId,
  identifier: Schema.String,
  name: Schema.String,
  createdAt: Schema.DateTimeUtc,
  updatedAt: Schema.DateTimeUtc
}) {}

export const UpsertTenant = Schema.Struct({
  identifier: Identifier,
  name: Name
}).annotations(everyBodyProblem)
export type UpsertTenant = typeof UpsertTenant.Type
