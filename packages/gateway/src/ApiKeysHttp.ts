import { HttpApiBuilder } from "@effect/platform"
import { SignalApi } from "@signal/domain/SignalApi"
import { ApiKeyRepo } from "@signal/store/ApiKeyRepo"
import { Effect } from "effect"
import { databaseUnavailable } from "./ApiErrors"
import { orNotFound, TenantGuard } from "./TenantGuard"

/** Tenant API keys (admin only, enforced by `AdminAccess`): created, listed without secrets, revoked. */
export const ApiKeysHttp = HttpApiBuilder.group(SignalApi, "apiKey", (handlers) =>
  Effect.gen(function*() {
    const guard = yield* TenantGuard
    const keys = yield* ApiKeyRepo
    return handlers
      .handle("create", ({ path, payload }) =>
        guard.require(path.tenantId).pipe(
          Effect.zipRight(keys.create(path.tenantId, payload)),
          databaseUnavailable
        ))
      .handle("list", ({ path, urlParams }) =>
        guard.require(path.tenantId).pipe(
          Effect.zipRight(keys.list(path.tenantId, urlParams)),
          databaseUnavailable
        ))
      .handle("revoke", ({ path }) =>
        keys.revoke(path.tenantId, path.keyId).pipe(
          orNotFound("API key", path.keyId),
          databaseUnavailable
        ))
  }))
