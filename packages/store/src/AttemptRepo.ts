import * as SqlClient from "@effect/sql/SqlClient"
import { DeliveryAttempt, type AttemptStatus, type ListAttemptsParams } from "@signal/domain/DeliveryAttempt"
import type { IntentStatus } from "@signal/domain/DeliveryIntent"
import type { AttemptId, DestinationId, EventId, IntentId, TenantId } from "@signal/domain/Ids"
import { Effect, Option } from "effect"
import { and, seqWindow, toPage, utc } from "./Paging"

interface AttemptRow {
  readonly seq: string
  readonly id: string
  readonly tenant_id: string
  readonly intent_id: string
  readonly event_id: string
  readonly destination_id: string
  readonly attempt_number: number
  readonly status: AttemptStatus
  readonly duration_ms: number
  readonly response_status: number | null
  readonly response_headers: Record<string, string> | null
  readonly response_body: string | null
  readonly error_code: string | null
  readonly error_message: string | null
  readonly started_at: Date
  readonly completed_at: Date
  readonly intent_status: IntentStatus
  readonly intent_attempt_count: number
}

const toAttempt = (row: AttemptRow) =>
  DeliveryAttempt.make({
    id: row.id as AttemptId,
    tenantId: row.tenant_id as TenantId,
    intentId: row.intent_id as IntentId,
    eventId: row.event_id as EventId,
    destinationId: row.destination_id as DestinationId,
    attemptNumber: row.attempt_number,
    status: row.status,
    durationMs: row.duration_ms,
    response: row.response_status === null
      ? null
      : { statusCode: row.response_status, body: row.response_body ?? "", headers: row.response_headers ?? {} },
    error: row.error_code === null ? null : { code: row.error_code, message: row.error_message ?? "" },
    startedAt: utc(row.started_at),
    completedAt: utc(row.completed_at),
    intent: { id: row.intent_id as IntentId, status: row.intent_status, attemptCount: row.intent_attempt_count }
  })

export class AttemptRepo extends Effect.Service<AttemptRepo>()("@signal/store/AttemptRepo", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient

    const select = (where: ReturnType<typeof sql.and>, tail = sql``) =>
      sql<AttemptRow>`
        SELECT a.*, i.status AS intent_status, i.attempt_count AS intent_attempt_count
        FROM delivery_attempts a JOIN delivery_intents i ON i.id = a.intent_id
        WHERE ${where} ${tail}`

    const findById = Effect.fn("AttemptRepo.findById")(function*(tenantId: TenantId, id: AttemptId) {
      const rows = yield* select(sql.and([sql`a.id = ${id}`, sql`a.tenant_id = ${tenantId}`]))
      return Option.map(Option.fromNullable(rows[0]), toAttempt)
    })

    const list = Effect.fn("AttemptRepo.list")(function*(tenantId: TenantId, params: ListAttemptsParams) {
      const window = seqWindow(sql, "a", params)
      const rows = yield* select(
        and(sql, [
          sql`a.tenant_id = ${tenantId}`,
          window.where,
          // through the intents' index: attempts keep none of their own by event
          params.eventIds?.length ? sql`i.event_id = ANY(${params.eventIds}::text[])` : undefined,
          params.intentIds?.length ? sql`a.intent_id = ANY(${params.intentIds}::text[])` : undefined,
          params.destinationIds?.length ? sql`a.destination_id = ANY(${params.destinationIds}::text[])` : undefined,
          params.status?.length ? sql`a.status = ANY(${params.status}::text[])` : undefined
        ]),
        sql`ORDER BY ${window.orderBy} LIMIT ${window.limit}`
      )
      return toPage(rows, params, toAttempt)
    })

    return { findById, list } as const
  })
}) {}
