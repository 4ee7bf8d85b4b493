/**
 * Who is calling, and the middleware that decides it. The admin key manages everything; a tenant
 * API key reaches only its own tenant's resources. The gateway implements these tags.
 */
import * as HttpApiMiddleware from "@effect/platform/HttpApiMiddleware"
import * as HttpApiSecurity from "@effect/platform/HttpApiSecurity"
import * as OpenApi from "@effect/platform/OpenApi"
import { Context, Schema } from "effect"
import { NotFound, RateLimited, ServiceUnavailable, Unauthorized } from "./ApiError"
import type { ApiKeyId, TenantId } from "./Ids"

export type Principal =
  /** The admin key; `keyId` is `null` in the unauthenticated loopback mode (no admin key configured). */
  | { readonly _tag: "Admin"; readonly keyId: "admin" | null }
  | { readonly _tag: "Tenant"; readonly tenantId: TenantId; readonly keyId: ApiKeyId }

export class CurrentPrincipal extends Context.Tag("@signal/domain/CurrentPrincipal")<CurrentPrincipal, Principal>() {}

/** Resolves the caller from `Authorization: Bearer <key>` or `X-Api-Key: <key>`; 401 otherwise. */
export class Authentication extends HttpApiMiddleware.Tag<Authentication>()("@signal/domain/Authentication", {
  failure: Schema.Union(Unauthorized, ServiceUnavailable),
  provides: CurrentPrincipal,
  security: {
    bearer: HttpApiSecurity.bearer.pipe(
      HttpApiSecurity.annotate(OpenApi.Description, "The admin key or a tenant API key (`sk_…`).")
    ),
    apiKey: HttpApiSecurity.apiKey({ in: "header", key: "X-Api-Key" }).pipe(
      HttpApiSecurity.annotate(OpenApi.Description, "The same keys, as a header.")
    )
  }
}) {}

/**
 * Tenant-scoped groups: the admin passes; a tenant key passes only when the route's `:tenantId` is
 * its own tenant, and everything else answers 404 as if it did not exist. Applies the per-key rate limit.
 */
export class TenantAccess extends HttpApiMiddleware.Tag<TenantAccess>()("@signal/domain/TenantAccess", {
  failure: Schema.Union(NotFound, RateLimited)
}) {}

/** Admin-only groups (API key management): a tenant key answers 404. Applies the per-key rate limit. */
export class AdminAccess extends HttpApiMiddleware.Tag<AdminAccess>()("@signal/domain/AdminAccess", {
  failure: Schema.Union(NotFound, RateLimited)
}) {}
