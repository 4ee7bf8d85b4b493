import * as SqlClient from "@effect/sql/SqlClient"
import {
  type CircuitState,
  type DeliveryOrdering,
  type CreateDestination,
  Destination,
  type DestinationStatus,
  type HttpMethod,
  type UpdateDestination
} from "@signal/domain/Destination"
import { type DestinationId, makeId, type SenderId, type TenantId } from "@signal/domain/Ids"
import { routingTable, type RoutingTarget } from "@signal/domain/Routing"
import type { PageOf } from "@signal/domain/Pagination"
import { defaultRetryPolicy, RetryPolicy } from "@signal/domain/RetryPolicy"
import { generateSigningSecret, type PreviousSecret } from "@signal/domain/SigningSecret"
import { Config, Effect, Option } from "effect"
import * as Database from "./Database"
import { endIntentsOfDeletedDestination } from "./DeletedDestinationSql"
import { makeTenantCache } from "./TenantCache"
import { type PageRequest, seqWindow, toPage, utc, utcOrNull } from "./Paging"

export interface DestinationRow {
  readonly seq: string
  readonly id: string
  readonly tenant_id: string
  readonly sender_id: string | null
  readonly name: string
  readonly description: string | null
  readonly event_types: ReadonlyArray<string> | null
  readonly topics: ReadonlyArray<string>
  readonly url: string
  readonly method: HttpMethod
  readonly headers: Record<string, string>
  readonly timeout_ms: number
  readonly retry: { type: "linear" | "exponential"; delaySeconds: number; maxAttempts: number }
  readonly max_concurrency: number
  readonly rate_limit: number | null
  readonly ordering: DeliveryOrdering
  readonly signing_secret: string
  readonly previous_secrets: ReadonlyArray<{ secret: string; expiresAt: string }>
  readonly status: DestinationStatus
  readonly disabled_reason: string | null
  readonly circuit_state: CircuitState
  readonly circuit_failures: number
  readonly circuit_opened_at: Date | null
  readonly failing_since: Date | null
  readonly created_at: Date
  readonly updated_at: Date
}

export const toDestination = (row: DestinationRow) =>
  Destination.make({
    id: row.id as DestinationId,
    tenantId: row.tenant_id as TenantId,
    senderId: row.sender_id as SenderId | null,
    name: row.name,
    description: row.description,
    eventTypes: row.event_types,
    topics: row.topics,
    retry: RetryPolicy.make(row.retry),
    variant: { type: "http_endpoint", url: row.url, method: row.method },
    headers: row.headers,
    timeoutSeconds: row.timeout_ms / 1000,
    maxConcurrency: row.max_concurrency,
    rateLimitPerSecond: row.rate_limit,
    ordering: row.ordering,
    active: row.status === "active",
    status: row.status,
    disabledReason: row.disabled_reason,
    circuit: {
      state: row.circuit_state,
      consecutiveFailures: row.circuit_failures,
      openedAt: utcOrNull(row.circuit_opened_at)
    },
    webhook: { url: row.url, signingSecret: row.signing_secret },
    createdAt: utc(row.created_at),
    updatedAt: utc(row.updated_at)
  })

/**
 * A destination row's version: Postgres's id of the transaction that last wrote the row, so every
 * write changes it, whatever clock the writer used and however close two writes come.
 */
export const DESTINATION_VERSION = "xmin::text"

/**
 * The dispatcher's view of a destination: also the replaced secrets, which the API never shows, and
 * the row's version, which tells a drain that what it works with is still what is stored.
 */
export interface DeliveryDestination extends Destination {
  readonly previousSecrets: ReadonlyArray<PreviousSecret>
  readonly version: string
}

const toDeliveryDestination = (row: DestinationRow & { readonly version: string }): DeliveryDestination =>
  Object.assign(toDestination(row), {
    previousSecrets: row.previous_secrets.map((entry) => ({ secret: entry.secret, expiresAt: new Date(entry.expiresAt) })),
    version: row.version
  })

/**
 * How long a gateway routes a tenant's events by the destinations it read last. Changes made through
 * this process apply at once; changes made through another process, after at most this long.
 */
export const DEFAULT_ROUTING_CACHE_MS = 1000

/** At most this many replaced secrets stay in grace at once (the newest expiries win). */
const MAX_PREVIOUS_SECRETS = 10

export class DestinationRepo extends Effect.Service<DestinationRepo>()("@signal/store/DestinationRepo", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const readSql = yield* Database.ingestSql
    const routingCacheMillis = yield* Config.integer("SIGNAL_ROUTING_CACHE_MS").pipe(
      Config.withDefault(DEFAULT_ROUTING_CACHE_MS),
      Config.validate({ message: "expected 0 (off) to 5000 milliseconds", validation: (n) => n >= 0 && n <= 5000 }),
      Effect.orDie
    )

    const create = Effect.fn("DestinationRepo.create")(function*(tenantId: TenantId, input: CreateDestination) {
      const rows = yield* sql<DestinationRow>`
        INSERT INTO destinations ${
        sql.insert({
          id: makeId.destination(),
          tenant_id: tenantId,
          sender_id: input.senderId,
          name: input.name,
          description: input.description,
          event_types: input.eventTypes,
          topics: input.topics,
          url: input.variant.url,
          method: input.variant.method,
          headers: input.headers,
          timeout_ms: input.timeoutSeconds * 1000,
          retry: JSON.stringify(input.retry ?? defaultRetryPolicy),
          max_concurrency: input.maxConcurrency,
          rate_limit: input.rateLimitPerSecond,
          ordering: input.ordering,
          signing_secret: generateSigningSecret(),
          status: input.active ? "active" : "disabled",
          disabled_reason: input.active ? null : "manual"
        })
      }
        RETURNING *`
      yield* changed(tenantId)
      return toDestination(rows[0])
    })

    const findRow = (tenantId: TenantId, id: DestinationId) =>
      sql<DestinationRow>`
        SELECT * FROM destinations WHERE id = ${id} AND tenant_id = ${tenantId} AND deleted_at IS NULL`.pipe(
        Effect.map((rows) => Option.fromNullable(rows[0]))
      )

    const findById = Effect.fn("DestinationRepo.findById")(function*(tenantId: TenantId, id: DestinationId) {
      return Option.map(yield* findRow(tenantId, id), toDestination)
    })

    const list = Effect.fn("DestinationRepo.list")(function*(tenantId: TenantId, page: PageRequest) {
      const window = seqWindow(sql, "d", page)
      const rows = yield* sql<DestinationRow>`
        SELECT * FROM destinations d
        WHERE d.tenant_id = ${tenantId} AND d.deleted_at IS NULL AND ${window.where}
        ORDER BY ${window.orderBy} LIMIT ${window.limit}`
      return toPage(rows, page, toDestination) satisfies PageOf<Destination>
    })

    const update = Effect.fn("DestinationRepo.update")(
      function*(tenantId: TenantId, id: DestinationId, patch: UpdateDestination) {
        const changes: Record<string, unknown> = { updated_at: new Date() }
        if (patch.senderId !== undefined) changes.sender_id = patch.senderId
        if (patch.name !== undefined) changes.name = patch.name
        if (patch.description !== undefined) changes.description = patch.description
        if (patch.eventTypes !== undefined) changes.event_types = patch.eventTypes
        if (patch.topics !== undefined) changes.topics = patch.topics
        if (patch.retry !== undefined) changes.retry = JSON.stringify(patch.retry)
        if (patch.variant !== undefined) {
          changes.url = patch.variant.url
          changes.method = patch.variant.method
        }
        if (patch.headers !== undefined) changes.headers = patch.headers
        if (patch.timeoutSeconds !== undefined) changes.timeout_ms = patch.timeoutSeconds * 1000
        if (patch.maxConcurrency !== undefined) changes.max_concurrency = patch.maxConcurrency
        if (patch.rateLimitPerSecond !== undefined) changes.rate_limit = patch.rateLimitPerSecond
        if (patch.ordering !== undefined) changes.ordering = patch.ordering
        if (patch.active !== undefined) {
          changes.status = patch.active ? "active" : "disabled"
          changes.disabled_reason = patch.active ? null : "manual"
          // Re-enabling starts with a clean slate: a closed circuit and no failure streak.
          if (patch.active) Object.assign(changes, { failing_since: null, circuit_state: "closed", circuit_failures: 0 })
        }
        const rows = yield* sql<DestinationRow>`
          UPDATE destinations SET ${sql.update(changes)}
          WHERE id = ${id} AND tenant_id = ${tenantId} AND deleted_at IS NULL
          RETURNING *`
        yield* changed(tenantId)
        return Option.map(Option.fromNullable(rows[0]), toDestination)
      }
    )

    /** Soft delete: intents and attempts keep their destination; unfinished intents end now. */
    const remove = Effect.fn("DestinationRepo.remove")(function*(tenantId: TenantId, id: DestinationId) {
      return yield* Effect.ensuring(sql.withTransaction(Effect.gen(function*() {
        const rows = yield* sql<{ id: string }>`
          UPDATE destinations SET deleted_at = now(), status = 'disabled', disabled_reason = 'deleted'
          WHERE id = ${id} AND tenant_id = ${tenantId} AND deleted_at IS NULL
          RETURNING id`
        if (rows.length === 0) return false
        yield* endIntentsOfDeletedDestination(sql, id)
        return true
      })), changed(tenantId))
    })

    /** Active destinations of a tenant, as routing needs them: read through the ingest pool when there is one. */
    const loadRoutingTargets = (tenantId: TenantId) =>
      readSql<{
        id: string
        sender_id: string | null
        event_types: ReadonlyArray<string> | null
        topics: ReadonlyArray<string>
      }>`
        SELECT id, sender_id, event_types, topics FROM destinations
        WHERE tenant_id = ${tenantId} AND status = 'active' AND deleted_at IS NULL`.pipe(
        Effect.map((rows) =>
          routingTable(rows.map((row): RoutingTarget => ({
            id: row.id as DestinationId,
            senderId: row.sender_id as SenderId | null,
            eventTypes: row.event_types,
            topics: row.topics
          })))
        ),
        Effect.withSpan("DestinationRepo.routingTargets", { captureStackTrace: false })
      )
    const routing = yield* makeTenantCache(loadRoutingTargets, routingCacheMillis)

    /** Every write that changes routing ends the cached view of its tenant (other processes: after the TTL). */
    const changed = (tenantId: TenantId) => routing.invalidate(tenantId)

    /** The dispatcher's view: any tenant, deleted ones excluded, previous secrets included. */
    const forDelivery = Effect.fn("DestinationRepo.forDelivery")(function*(id: DestinationId) {
      const rows = yield* sql<DestinationRow & { version: string }>`
        SELECT *, ${sql.literal(DESTINATION_VERSION)} AS version FROM destinations WHERE id = ${id} AND deleted_at IS NULL`
      return Option.map(Option.fromNullable(rows[0]), toDeliveryDestination)
    })

    /** The dispatcher's view of many destinations at once, by id; deleted ones are absent. */
    const forDeliveryAll = Effect.fn("DestinationRepo.forDeliveryAll")(function*(ids: ReadonlyArray<DestinationId>) {
      const rows = yield* sql<DestinationRow & { version: string }>`
        SELECT *, ${sql.literal(DESTINATION_VERSION)} AS version FROM destinations
        WHERE id = ANY(${ids}::text[]) AND deleted_at IS NULL`
      return new Map(rows.map((row) => [row.id as DestinationId, toDeliveryDestination(row)]))
    })

    /** The version of each of these destinations (`DeliveryDestination.version`); deleted ones are absent. */
    const versions = Effect.fn("DestinationRepo.versions")(function*(ids: ReadonlyArray<DestinationId>) {
      const rows = yield* sql<{ id: string; version: string }>`
        SELECT id, ${sql.literal(DESTINATION_VERSION)} AS version FROM destinations
        WHERE id = ANY(${ids}::text[]) AND deleted_at IS NULL`
      return new Map(rows.map((row) => [row.id as DestinationId, row.version]))
    })

    /**
     * A new signing secret. The replaced one joins `previous_secrets` until `graceSeconds` from now
     * (not at all when 0); entries already expired are dropped. One statement, so concurrent rotations
     * serialise on the row and each keeps the secret it replaced.
     */
    const rotateSecret = Effect.fn("DestinationRepo.rotateSecret")(
      function*(tenantId: TenantId, id: DestinationId, graceSeconds: number) {
        const rows = yield* sql<DestinationRow>`
          UPDATE destinations SET
            previous_secrets = (
              SELECT COALESCE(jsonb_agg(kept.entry), '[]'::jsonb) FROM (
                SELECT entry FROM jsonb_array_elements(
                  jsonb_build_array(jsonb_build_object(
                    'secret', signing_secret,
                    'expiresAt', now() + make_interval(secs => ${graceSeconds})
                  )) || previous_secrets
                ) AS entry
                -- a rotation without grace (a leaked secret) ends every earlier one still in its grace too
                WHERE (entry->>'expiresAt')::timestamptz > now() AND ${graceSeconds} > 0
                ORDER BY (entry->>'expiresAt')::timestamptz DESC
                LIMIT ${MAX_PREVIOUS_SECRETS}
              ) AS kept
            ),
            signing_secret = ${generateSigningSecret()},
            updated_at = now()
          WHERE id = ${id} AND tenant_id = ${tenantId} AND deleted_at IS NULL
          RETURNING *`
        return Option.map(Option.fromNullable(rows[0]), toDestination)
      }
    )

    /**
     * Persists the circuit breaker so the API shows it; `failingSince` tracks continuous failure.
     * Answers the destination's version just before and just after this write, so a drain whose
     * settings were the version before keeps them (nothing it delivers with changed).
     */
    const recordHealth = Effect.fn("DestinationRepo.recordHealth")(function*(id: DestinationId, health: {
      readonly state: CircuitState
      readonly consecutiveFailures: number
      readonly openedAt: Date | null
      readonly failing: boolean
    }) {
      const rows = yield* sql<{ before: string; after: string }>`
        WITH before AS (SELECT id, ${sql.literal(DESTINATION_VERSION)} AS version FROM destinations WHERE id = ${id} FOR UPDATE)
        UPDATE destinations d SET circuit_state = ${health.state}, circuit_failures = ${health.consecutiveFailures},
          circuit_opened_at = ${health.openedAt},
          failing_since = CASE WHEN ${health.failing} THEN COALESCE(d.failing_since, now()) ELSE NULL END
        FROM before WHERE d.id = before.id
        RETURNING before.version AS before, d.${sql.literal(DESTINATION_VERSION)} AS after`
      return Option.fromNullable(rows[0])
    })

    /** Disables a destination that has failed without a success for longer than `afterMs`. */
    const disableIfFailingFor = Effect.fn("DestinationRepo.disableIfFailingFor")(
      function*(id: DestinationId, afterMs: number) {
        const rows = yield* sql<{ tenant_id: TenantId }>`
          UPDATE destinations SET status = 'disabled', disabled_reason = 'failing', updated_at = now()
          WHERE id = ${id} AND status = 'active'
            AND failing_since < now() - make_interval(secs => ${afterMs / 1000})
          RETURNING tenant_id`
        yield* Effect.forEach(rows, (row) => changed(row.tenant_id), { discard: true })
        return rows.length > 0
      }
    )

    return {
      create,
      findById,
      list,
      update,
      remove,
      routingTargets: routing.get,
      forDelivery,
      forDeliveryAll,
      versions,
      rotateSecret,
      recordHealth,
      disableIfFailingFor
    } as const
  })
}) {}
