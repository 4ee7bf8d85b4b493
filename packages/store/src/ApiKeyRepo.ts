import { SqlClient } from "@effect/sql"
import { ApiKey, type CreateApiKey, displayPrefix } from "@signal/domain/ApiKey"
import { generateApiKey, hashApiKey } from "@signal/domain/ApiKeySecret"
import { type ApiKeyId, makeId, type TenantId } from "@signal/domain/Ids"
import type { PageOf } from "@signal/domain/Pagination"
import { Effect, Option } from "effect"
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

/** Tenant API keys. Only hashes are stored; the plaintext exists in the create answer alone. */
export class ApiKeyRepo extends Effect.Service<ApiKeyRepo>()("@signal/store/ApiKeyRepo", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const ingestSql = yield* Database.ingestSql

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
      return Option.map(Option.fromNullable(rows[0]), toApiKey)
    })

    /**
     * The live key with this hash (unknown and revoked keys find nothing), in one round trip that also
     * records the use when the recorded one is older than the resolution.
     */
    // Every request with a tenant key asks this, publishes included: through the ingest pool, so a
    // dispatcher busy in the same process never starves it. A span by `withSpan`: `Effect.fn` captures a
    // call-site stack on every call.
    const authenticate = (keyHash: string) =>
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
            (row) => ({ keyId: row.id as ApiKeyId, tenantId: row.tenant_id as TenantId })
          )
        ),
        Effect.withSpan("ApiKeyRepo.authenticate", { captureStackTrace: false })
      )

    return { create, list, revoke, authenticate } as const
  })
}) {}
