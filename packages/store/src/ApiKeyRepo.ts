import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { ApiKey, type CreateApiKey, displayPrefix } from "@signal/domain/ApiKey"
import { generateApiKey, hashApiKey } from "@signal/domain/ApiKeySecret"
import { type ApiKeyId, makeId, type TenantId } from "@signal/domain/Ids"
import type { PageOf } from "@signal/domain/Pagination"
import { Clock, Config, Effect, Option } from "effect"
import * as Database from "./Database"
import { type PageRequest, seqWindow, toPage, utc, utcOrNull } from "./Paging"

interface ApiKeyRow {
  readonly seq: string
  readonly id: string
  readonly tenant_id: string
  readonly name: string
  readonly prefix: string
  readonly created_at: Date
  readonly last_used_at: Date | null
  readonly revoked_at: Date | null
}

const toApiKey = (row: ApiKeyRow) =>
  ApiKey.make({
    id: row.id as ApiKeyId,
    tenantId: row.tenant_id as TenantId,
    name: row.name,
    prefix: row.prefix,
    createdAt: utc(row.created_at),
    lastUsedAt: utcOrNull(row.last_used_at),
    revokedAt: utcOrNull(row.revoked_at)
  })

/** `last_used_at` is refreshed at most this often, so a busy key does not write on every request. */
const LAST_USED_RESOLUTION_SECONDS = 60

/** How long a gateway trusts a key it found live unless `SIGNAL_API_KEY_CACHE_MS` says otherwise. */
export const DEFAULT_API_KEY_CACHE_MS = 5000

/** Keys remembered at most; past it the memory starts over (it only saves lookups). */
const MAX_CACHED_KEYS = 10_000

/** A live key as authentication finds it. */
export interface KeyOwner {
  readonly keyId: ApiKeyId
  readonly tenantId: TenantId
}

/** Tenant API keys. Only hashes are stored; the plaintext exists in the create answer alone. */
export class ApiKeyRepo extends Effect.Service<ApiKeyRepo>()("@signal/store/ApiKeyRepo", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const ingestSql = yield* Database.ingestSql
    const cacheMillis = yield* Config.integer("SIGNAL_API_KEY_CACHE_MS").pipe(
      Config.withDefault(DEFAULT_API_KEY_CACHE_MS),
      Config.validate({ message: "expected 0 (off) to 60000 milliseconds", validation: (n) => n >= 0 && n <= 60_000 }),
      Effect.orDie
    )
    /**
     * Live keys found recently, by hash: a tenant's publishes then skip the lookup. Only live keys are
     * kept (an unknown key is looked up every time, so a new one works at once); a revoke through this
     * process drops its key at once, through another process it stops working here within `cacheMillis`.
     */
    const live = new Map<string, { readonly owner: KeyOwner; readonly expiresAt: number }>()
    /** Revokes through this process so far: a lookup that overlapped one is not remembered (it may predate it). */
    let revocations = 0

    const create = Effect.fn("ApiKeyRepo.create")(function*(tenantId: TenantId, input: CreateApiKey) {
      const key = generateApiKey()
      const rows = yield* sql<ApiKeyRow>`
        INSERT INTO api_keys ${
        sql.insert({
          id: makeId.apiKey(),
          tenant_id: tenantId,
          name: input.name,
          prefix: displayPrefix(key),
          key_hash: hashApiKey(key)
        })
      }
        RETURNING *`
      return { ...toApiKey(rows[0]), key }
    })

    const list = Effect.fn("ApiKeyRepo.list")(function*(tenantId: TenantId, page: PageRequest) {
      const window = seqWindow(sql, "k", page)
      const rows = yield* sql<ApiKeyRow>`
        SELECT * FROM api_keys k
        WHERE k.tenant_id = ${tenantId} AND ${window.where}
        ORDER BY ${window.orderBy} LIMIT ${window.limit}`
      return toPage(rows, page, toApiKey) satisfies PageOf<ApiKey>
    })

    /** Revoking is immediate and idempotent: a second revoke keeps the first `revokedAt`. */
    const revoke = Effect.fn("ApiKeyRepo.revoke")(function*(tenantId: TenantId, id: ApiKeyId) {
      const rows = yield* sql<ApiKeyRow>`
        UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now())
        WHERE id = ${id} AND tenant_id = ${tenantId}
        RETURNING *`
      revocations++
      for (const [hash, { owner }] of live) if (owner.keyId === id) live.delete(hash)
      return Option.map(Option.fromNullable(rows[0]), toApiKey)
    })

    /**
     * The live key with this hash (unknown and revoked keys find nothing), in one round trip that also
     * records the use when the recorded one is older than the resolution.
     */
    // Every request with a tenant key asks this, publishes included: through the ingest pool, so a
    // dispatcher busy in the same process never starves it. A span by `withSpan`: `Effect.fn` captures a
    // call-site stack on every call.
    const lookup = (keyHash: string) =>
      ingestSql<{ id: string; tenant_id: string }>`
        WITH found AS (
          SELECT id, tenant_id, last_used_at FROM api_keys WHERE key_hash = ${keyHash} AND revoked_at IS NULL
        ), touched AS (
          UPDATE api_keys SET last_used_at = now()
          WHERE id IN (
            SELECT id FROM found
            WHERE last_used_at IS NULL
              OR last_used_at < now() - make_interval(secs => ${LAST_USED_RESOLUTION_SECONDS})
          )
          RETURNING id
        )
        SELECT id, tenant_id FROM found`.pipe(
        Effect.map((rows) =>
          Option.map(
            Option.fromNullable(rows[0]),
            (row): KeyOwner => ({ keyId: row.id as ApiKeyId, tenantId: row.tenant_id as TenantId })
          )
        ),
        Effect.withSpan("ApiKeyRepo.authenticate", { captureStackTrace: false })
      )

    /** A live key answers from memory for `cacheMillis` after it was looked up (`last_used_at` stays within its resolution). */
    const authenticate = (keyHash: string): Effect.Effect<Option.Option<KeyOwner>, SqlError> =>
      cacheMillis === 0 ? lookup(keyHash) : Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const cached = live.get(keyHash)
        if (cached !== undefined && cached.expiresAt > now) return Effect.succeed(Option.some(cached.owner))
        const before = revocations
        return Effect.tap(lookup(keyHash), (found) =>
          Effect.sync(() => {
            if (Option.isNone(found) || revocations !== before) return live.delete(keyHash)
            if (live.size >= MAX_CACHED_KEYS) live.clear()
            live.set(keyHash, { owner: found.value, expiresAt: now + cacheMillis })
          }))
      })

    return { create, list, revoke, authenticate } as const
  })
}) {}
