import { makeId } from "@signal/domain/Ids"
import { Tenant } from "@signal/domain/Tenant"
import { Effect } from "effect"
import { makeIdentifiedRepo } from "./IdentifiedRepo"

export class TenantRepo extends Effect.Service<TenantRepo>()("@signal/store/TenantRepo", {
  effect: makeIdentifiedRepo({ table: "tenants", spanPrefix: "TenantRepo", newId: makeId.tenant, make: (fields) => new Tenant(fields) })
}) {}
