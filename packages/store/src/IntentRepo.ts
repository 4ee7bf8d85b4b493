import * as SqlClient from "@effect/sql/SqlClient"
import { DeliveryIntent, type IntentStatus, type ListIntentsParams } from "@signal/domain/DeliveryIntent"
import type { EventStatus } from "@signal/domain/Event"
import type { DestinationId, EventId, IntentId, TenantId } from "@signal/domain/Ids"
import { Effect, Option } from "effect"
import { and, seqWindow, toPage, utc, utcOrNull } from "./Paging"

interface IntentRow {
  readonly seq: string
  readonly id: string
  readonly tenant_id: string
  readonly event_id: string
  readonly destination_id: string
  readonly status: IntentStatus
  readonly attempt_count: number
  readonly next_attempt_at: Date | null
  readonly last_attempt_at: Date | null
  readonly error_code: string | null
  readonly error_message: string | null
  readonly created_at: Date
  readonly updated_at: Date
  readonly event_type: string
  readonly event_topics: ReadonlyArray<string>
  readonly event_status: EventStatus
  readonly event_created_at: Date
  readonly destination_name: string
  readonly destination_url: string
}

const toIntent = (row: IntentRow) =>
  DeliveryIntent.make({
    id: row.id as IntentId,
    tenantId: row.tenant_id as TenantId,
    eventId: row.event_id as EventId,
    destinationId: row.destination_id as DestinationId,
    status: row.status,
    attemptCount: row.attempt_count,
    nextAttemptAt: utcOrNull(row.next_attempt_at),
    lastAttemptAt: utcOrNull(row.last_attempt_at),
    error: row.error_code === null ? null : { code: row.error_code, message: row.error_message ?? "" },
    event: {
      id: row.event_id as EventId,
      type: row.event_type,
      topics: row.event_topics,
      status: row.event_status,
      createdAt: utc(row.event_created_at)
    },
    destination: {
      id: row.destination_id as DestinationId,
      name: row.destination_name,
      webhook: { url: row.destination_url }
    },
    createdAt: utc(row.created_at),
    updatedAt: utc(row.updated_at)
  })

/** What a manual retry did: re-opened the intent, or left it because its destination cannot deliver. */
export type RetryResult =
  | { readonly _tag: "Reopened"; readonly destinationId: DestinationId }
  | { readonly _tag: "DestinationInactive"; readonly state: "deleted" | "disabled" }
  /** The event's ttl has ended: a retry would only be recorded as expired. */
  | { readonly _tag: "EventExpired" }

export class IntentRepo extends Effect.Service<IntentRepo>()("@signal/store/IntentRepo", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient

    const select = (where: ReturnType<typeof sql.and>, tail = sql``) =>
      sql<IntentRow>`
        SELECT i.*, e.type AS event_type, e.topics AS event_topics, e.status AS event_status,
          e.created_at AS event_created_at, d.name AS destination_name, d.url AS destination_url
        FROM delivery_intents i
        JOIN events e ON e.id = i.event_id
        JOIN destinations d ON d.id = i.destination_id
        WHERE ${where} ${tail}`

    const findById = Effect.fn("IntentRepo.findById")(function*(tenantId: TenantId, id: IntentId) {
      const rows = yield* select(sql.and([sql`i.id = ${id}`, sql`i.tenant_id = ${tenantId}`]))
      return Option.map(Option.fromNullable(rows[0]), toIntent)
    })

    const list = Effect.fn("IntentRepo.list")(function*(tenantId: TenantId, params: ListIntentsParams) {
      const window = seqWindow(sql, "i", params)
      const rows = yield* select(
        and(sql, [
          sql`i.tenant_id = ${tenantId}`,
          window.where,
          params.eventIds?.length ? sql`i.event_id = ANY(${params.eventIds}::text[])` : undefined,
          params.destinationIds?.length ? sql`i.destination_id = ANY(${params.destinationIds}::text[])` : undefined,
          params.status?.length ? sql`i.status = ANY(${params.status}::text[])` : undefined
        ]),
        sql`ORDER BY ${window.orderBy} LIMIT ${window.limit}`
      )
      return toPage(rows, params, toIntent)
    })

    /**
     * Manual retry: due now, attempt numbers continue. A finished intent re-opens, so its event's
     * counters give back the outcome it had. An intent whose destination is deleted or disabled is
     * left as it is: nothing would deliver it. A lease still held stays with its holder, so an attempt
     * in flight is never duplicated.
     */
    const retryNow = Effect.fn("IntentRepo.retryNow")(function*(tenantId: TenantId, id: IntentId) {
      const rows = yield* sql<
        { destination_id: string; destination_state: "active" | "disabled" | "deleted"; expired: boolean }
      >`
        WITH previous AS (
          SELECT i.id, i.status, i.destination_id,
            CASE WHEN d.deleted_at IS NOT NULL THEN 'deleted' WHEN d.status <> 'active' THEN 'disabled' ELSE 'active' END
              AS destination_state,
            coalesce(e.expires_at <= now(), false) AS expired
          FROM delivery_intents i JOIN destinations d ON d.id = i.destination_id JOIN events e ON e.id = i.event_id
          WHERE i.id = ${id} AND i.tenant_id = ${tenantId}
          FOR UPDATE OF i
        ), updated AS (
          UPDATE delivery_intents i SET
            status = CASE WHEN i.attempt_count = 0 THEN 'pending' ELSE 'retrying' END,
            next_attempt_at = now(), updated_at = now()
          FROM previous WHERE i.id = previous.id AND previous.destination_state = 'active' AND NOT previous.expired
          RETURNING i.event_id, previous.status AS previous_status
        ), reopened AS (
          UPDATE events e SET
            success_count = e.success_count - (u.previous_status = 'succeeded')::int,
            failure_count = e.failure_count - (u.previous_status = 'failed')::int,
            status = 'pending'
          FROM updated u WHERE e.id = u.event_id AND u.previous_status IN ('succeeded', 'failed')
        )
        SELECT destination_id, destination_state, expired FROM previous`
      return Option.map(Option.fromNullable(rows[0]), (row): RetryResult =>
        row.destination_state !== "active"
          ? { _tag: "DestinationInactive", state: row.destination_state }
          : row.expired
          ? { _tag: "EventExpired" }
          : { _tag: "Reopened", destinationId: row.destination_id as DestinationId })
    })

    return { findById, list, retryNow } as const
  })
}) {}
