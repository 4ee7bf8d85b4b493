import { NotFound } from "@signal/domain/ApiError"
import type { TenantId } from "@signal/domain/Ids"
import { TenantRepo } from "@signal/store/TenantRepo"
import { Effect, Option } from "effect"

/** Unwraps a lookup or fails with a 404 naming what was missing. */
export const orNotFound = (kind: string, id: string) => <A, E, R>(self: Effect.Effect<Option.Option<A>, E, R>) =>
  Effect.flatMap(self, Option.match({
    onNone: () => Effect.fail(NotFound.of(kind, id)),
    onSome: Effect.succeed
  }))

/** Every tenant-scoped route answers 404 for a tenant that does not exist. */
export class TenantGuard extends Effect.Service<TenantGuard>()("@signal/gateway/TenantGuard", {
  dependencies: [TenantRepo.Default],
  effect: Effect.gen(function*() {
    const tenants = yield* TenantRepo
    /** Tenants are never deleted: once found, a tenant is not looked up again by this process. */
    const require = (tenantId: TenantId) =>
      Effect.flatMap(tenants.exists(tenantId), (exists) => exists ? Effect.void : Effect.fail(NotFound.of("tenant", tenantId)))
    return { require } as const
  })
}) {}
