import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { SignalApi } from "@signal/domain/SignalApi"
import { ApiKeyRepo } from "@signal/store/ApiKeyRepo"
import { Effect } from "effect"
import { atStoreBoundary } from "./StoreBoundary"
import { orNotFound, TenantGuard } from "./TenantGuard"

/** Tenant API keys (admin only, enforced by `AdminAccess`): created, listed without secrets, revoked. */
export const ApiKeysHttp = HttpApiBuilder.group(SignalApi, "apiKey", (handlers) =>
  Effect.gen(function*() {
    const guard = yield* atStoreBoundary(TenantGuard)
    const keys = yield* atStoreBoundary(ApiKeyRepo)
    return handlers
      .handle("create", ({ path, payload }) =>
        guard.require(path.tenantId).pipe(
          Effect.zipRight(keys.create(path.tenantId, payload))
        ))
      .handle("list", ({ path, urlParams }) =>
        guard.require(path.tenantId).pipe(
          Effect.zipRight(keys.list(path.tenantId, urlParams))
        ))
      .handle("revoke", ({ path }) =>
        keys.revoke(path.tenantId, path.keyId).pipe(
          orNotFound("API key", path.keyId)
        ))
  }))
