import * as RateLimiter from "@effect/experimental/RateLimiter"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import {
  AdminAccess,
  Authentication,
  CurrentPrincipal,
  type Principal,
  TenantAccess
} from "@signal/domain/Access"
import { NotFound, RateLimited, ServiceUnavailable, Unauthorized } from "@signal/domain/ApiError"
import { API_KEY_PREFIX } from "@signal/domain/ApiKey"
import { hashApiKey } from "@signal/domain/ApiKeySecret"
import { ApiKeyRepo } from "@signal/store/ApiKeyRepo"
import { Duration, Effect, Layer, Option, Redacted } from "effect"
import { createHash, timingSafeEqual } from "node:crypto"
import { AccessConfig } from "./AccessConfig"

const digest = (value: string) => createHash("sha256").update(value, "utf8").digest()

const missing = new Unauthorized({
  code: "unauthorized",
  message: "an API key is required: send `Authorization: Bearer <key>` or `X-Api-Key: <key>`"
})
const invalid = new Unauthorized({ code: "unauthorized", message: "the API key is not valid (unknown or revoked)" })

/** Longer than any key Signal issues: refused without a database lookup. */
const MAX_KEY_LENGTH = 256

const bearerOf = (request: HttpServerRequest.HttpServerRequest): string => {
  const header = request.headers.authorization ?? ""
  return /^bearer /i.test(header) ? header.slice(7).trim() : ""
}

/**
 * Who is calling: the admin key (compared in constant time), a live tenant key (looked up by its
 * SHA-256), or — only when no admin key is configured — an anonymous admin for requests without
 * credentials. Credentials that are present are always checked.
 *
 * The platform tries `bearer` first and falls back to `apiKey` on any failure, keeping only the last
 * error; so `apiKey` also resolves a bearer token when no `X-Api-Key` came, and a bearer failure
 * (e.g. 503 while the database is away) keeps its real answer.
 */
export const AuthenticationLive = Layer.effect(
  Authentication,
  Effect.gen(function*() {
    const access = yield* AccessConfig
    const keys = yield* ApiKeyRepo
    const adminDigest = Option.map(access.adminKey, (key) => digest(Redacted.value(key)))

    const resolve = (credential: string): Effect.Effect<Principal, Unauthorized | ServiceUnavailable> => {
      if (credential === "") {
        return Option.isNone(adminDigest) ? Effect.succeed({ _tag: "Admin", keyId: null }) : Effect.fail(missing)
      }
      if (Option.isSome(adminDigest) && timingSafeEqual(digest(credential), adminDigest.value)) {
        return Effect.succeed({ _tag: "Admin", keyId: "admin" })
      }
      if (!credential.startsWith(API_KEY_PREFIX) || credential.length > MAX_KEY_LENGTH) return Effect.fail(invalid)
      return keys.authenticate(hashApiKey(credential)).pipe(
        Effect.catchTag("SqlError", (error) =>
          Effect.logError("API key lookup failed", error).pipe(
            Effect.zipRight(Effect.fail(new ServiceUnavailable({ code: "unavailable", message: "database unavailable, retry later" })))
          )),
        Effect.flatMap(Option.match({
          onNone: () => Effect.fail(invalid),
          onSome: ({ keyId, tenantId }): Effect.Effect<Principal> => Effect.succeed({ _tag: "Tenant", tenantId, keyId })
        }))
      )
    }

    return {
      // Read from the header here: the platform's decoder does not check the scheme name. Without a
      // bearer token, `X-Api-Key` (or no key) is resolved here too: the platform's fallback to `apiKey`
      // decodes the headers through a schema whose failure, when the header is absent, costs a stack
      // trace per request.
      bearer: () =>
        Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
          const token = bearerOf(request)
          return resolve(token !== "" ? token : (request.headers["x-api-key"] ?? "").trim())
        }),
      apiKey: (key) =>
        Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
          const value = Redacted.value(key).trim()
          return resolve(value !== "" ? value : bearerOf(request))
        })
    }
  })
)

const principalLabel = (principal: Principal) =>
  principal._tag === "Tenant" ? `tenant:${principal.keyId}` : principal.keyId === null ? "anonymous" : "admin"

/** What the access middlewares share: the principal, the route, and the per-key rate limit. */
const makeAccess = (admits: (principal: Principal, tenantId: string | undefined) => boolean) =>
  Effect.gen(function*() {
    const access = yield* AccessConfig
    const limiter = yield* RateLimiter.RateLimiter

    const rateLimit = (principal: Principal): Effect.Effect<void, RateLimited> =>
      principal.keyId === null || access.rateLimitPerSecond === 0
        ? Effect.void
        : limiter.consume({
          key: `api:${principal.keyId}`,
          limit: access.rateLimitPerSecond,
          window: "1 second",
          algorithm: "token-bucket",
          onExceeded: "fail"
        }).pipe(
          Effect.asVoid,
          Effect.catchAll((error) =>
            error.reason === "Exceeded"
              ? Effect.fail(
                new RateLimited({
                  code: "rate_limited",
                  message: `more than ${access.rateLimitPerSecond} requests per second with this key`,
                  retryAfterSeconds: Math.max(1, Math.ceil(Duration.toSeconds(error.retryAfter)))
                })
              )
              // The in-memory store does not fail; should a shared one, serve rather than refuse.
              : Effect.logWarning("API rate limiter unavailable", error)
          )
        )

    return Effect.gen(function*() {
      const principal = yield* Effect.serviceOption(CurrentPrincipal).pipe(
        Effect.flatMap(Option.match({
          onNone: () => Effect.dieMessage("access middleware ran without Authentication"),
          onSome: Effect.succeed
        }))
      )
      const route = yield* HttpRouter.RouteContext
      const tenantId = route.params.tenantId
      yield* Effect.annotateCurrentSpan("signal.principal", principalLabel(principal))
      if (!admits(principal, tenantId)) {
        // 404, not 403: another tenant's resources do not exist as far as this key can tell.
        return yield* Effect.fail(
          tenantId === undefined
            ? new NotFound({ code: "not_found", message: "not found" })
            : NotFound.of("tenant", tenantId)
        )
      }
      yield* rateLimit(principal)
    })
  })

/** Tenant-scoped routes: the admin, or a tenant key whose tenant is the route's `:tenantId`. */
export const TenantAccessLive = Layer.effect(
  TenantAccess,
  makeAccess((principal, tenantId) =>
    principal._tag === "Admin" || (tenantId !== undefined && principal.tenantId === tenantId)
  )
)

/** Admin-only routes. */
export const AdminAccessLive = Layer.effect(AdminAccess, makeAccess((principal) => principal._tag === "Admin"))

/** API rate limits in this process's memory: each gateway counts its own share of a key's traffic. */
export const RateLimiterLive = RateLimiter.layer.pipe(Layer.provide(RateLimiter.layerStoreMemory))
