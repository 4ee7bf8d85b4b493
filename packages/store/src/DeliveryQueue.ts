import { SqlClient } from "@effect/sql"
import type { DeliveryError } from "@signal/domain/DeliveryIntent"
import type { AttemptResponse } from "@signal/domain/DeliveryAttempt"
import type { DestinationId, IntentId } from "@signal/domain/Ids"
import { Effect, Option } from "effect"
import { eventStatusCase } from "./EventStatusSql"

/** A due intent, leased to one worker, with what its request needs. */
export interface ClaimedIntent {
  readonly intentId: IntentId
  readonly tenantId: string
  readonly eventId: string
  readonly destinationId: DestinationId
  readonly attemptNumber: number
  readonly traceparent: string | null
  readonly event: {
    readonly senderId: string
    readonly type: string
    readonly topics: ReadonlyArray<string>
    readonly payloadJson: string
    readonly headers: Record<string, string>
    readonly createdAt: Date
    readonly expiresAt: Date | null
  }
}

/** The outcome of one attempt and what becomes of its intent. */
export interface AttemptOutcome {
  readonly claim: ClaimedIntent
  readonly attemptId: string
  readonly succeeded: boolean
  readonly response: AttemptResponse | null
  readonly error: DeliveryError | null
  readonly startedAt: Date
  readonly completedAt: Date
  /** retrying with a time, or final. */
  readonly next: { readonly status: "succeeded" | "failed" } | { readonly status: "retrying"; readonly at: Date }
}

export class DeliveryQueue extends Effect.Service<DeliveryQueue>()("@signal/store/DeliveryQueue", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient

    /**
     * Leases up to `limit` due intents; SKIP LOCKED keeps concurrent claimers off each other's rows.
     * An expired lease is taken over only from another owner (a crashed or stopped worker).
     */
    const claim = Effect.fn("DeliveryQueue.claim")(function*(options: {
      readonly destinationId: DestinationId
      readonly limit: number
      readonly leaseMs: number
      readonly owner: string
    }) {
      const rows = yield* sql<{
        id: string
        tenant_id: string
        event_id: string
        destination_id: string
        attempt_count: number
        traceparent: string | null
        sender_id: string
        type: string
        topics: ReadonlyArray<string>
        payload_json: string
        headers: Record<string, string>
        created_at: Date
        expires_at: Date | null
      }>`
        WITH due AS (
          SELECT id FROM delivery_intents
          WHERE destination_id = ${options.destinationId} AND status IN ('pending', 'retrying')
            AND next_attempt_at <= now() AND (lease_until IS NULL OR lease_until < now())
            -- a lease of ours that lapsed while its delivery waited is still ours: never claimed twice
            AND lease_owner IS DISTINCT FROM ${options.owner}
          ORDER BY next_attempt_at, seq
          LIMIT ${options.limit}
          FOR UPDATE SKIP LOCKED
        )
        UPDATE delivery_intents i
        SET lease_until = now() + make_interval(secs => ${options.leaseMs / 1000}), lease_owner = ${options.owner}
        FROM due, events e
        WHERE i.id = due.id AND e.id = i.event_id
        RETURNING i.id, i.tenant_id, i.event_id, i.destination_id, i.attempt_count, i.traceparent,
          e.sender_id, e.type, e.topics, e.payload::text AS payload_json, e.headers, e.created_at, e.expires_at`
      return rows
        .map((row): ClaimedIntent => ({
          intentId: row.id as IntentId,
          tenantId: row.tenant_id,
          eventId: row.event_id,
          destinationId: row.destination_id as DestinationId,
          attemptNumber: row.attempt_count + 1,
          traceparent: row.traceparent,
          event: {
            senderId: row.sender_id,
            type: row.type,
            topics: row.topics,
            payloadJson: row.payload_json,
            headers: row.headers,
            createdAt: row.created_at,
            expiresAt: row.expires_at
          }
        }))
        .sort((a, b) => a.intentId < b.intentId ? -1 : 1)
    })

    /** Writes a batch of outcomes: attempts, intents and event counters, three statements in one transaction. */
    const complete = Effect.fn("DeliveryQueue.complete")(function*(outcomes: ReadonlyArray<AttemptOutcome>) {
      if (outcomes.length === 0) return
      const column = <A>(f: (outcome: AttemptOutcome) => A) => outcomes.map(f)
      yield* sql.withTransaction(Effect.gen(function*() {
        yield* sql`
          INSERT INTO delivery_attempts (id, tenant_id, intent_id, event_id, destination_id, attempt_number, status,
            duration_ms, response_status, response_headers, response_body, error_code, error_message, started_at,
            completed_at)
          SELECT x.id, x.tenant_id, x.intent_id, x.event_id, x.destination_id, x.attempt_number, x.status,
            x.duration_ms, x.response_status, x.response_headers::jsonb, x.response_body, x.error_code,
            x.error_message, x.started_at, x.completed_at
          FROM unnest(
            ${column((o) => o.attemptId)}::text[],
            ${column((o) => o.claim.tenantId)}::text[],
            ${column((o) => o.claim.intentId)}::text[],
            ${column((o) => o.claim.eventId)}::text[],
            ${column((o) => o.claim.destinationId)}::text[],
            ${column((o) => o.claim.attemptNumber)}::int[],
            ${column((o) => (o.succeeded ? "succeeded" : "failed"))}::text[],
            ${column((o) => Math.max(0, o.completedAt.getTime() - o.startedAt.getTime()))}::int[],
            ${column((o) => o.response?.statusCode ?? null)}::int[],
            ${column((o) => (o.response ? JSON.stringify(o.response.headers) : null))}::text[],
            ${column((o) => o.response?.body ?? null)}::text[],
            ${column((o) => o.error?.code ?? null)}::text[],
            ${column((o) => o.error?.message ?? null)}::text[],
            ${column((o) => o.startedAt)}::timestamptz[],
            ${column((o) => o.completedAt)}::timestamptz[]
          ) AS x(id, tenant_id, intent_id, event_id, destination_id, attempt_number, status, duration_ms,
            response_status, response_headers, response_body, error_code, error_message, started_at, completed_at)`
        yield* sql`
          WITH x AS (
            SELECT * FROM unnest(
              ${column((o) => o.claim.intentId)}::text[],
              ${column((o) => o.next.status)}::text[],
              ${column((o) => (o.next.status === "retrying" ? o.next.at : null))}::timestamptz[],
              ${column((o) => o.claim.attemptNumber)}::int[],
              ${column((o) => o.error?.code ?? null)}::text[],
              ${column((o) => o.error?.message ?? null)}::text[],
              ${column((o) => o.completedAt)}::timestamptz[]
            ) AS x(intent_id, status, next_attempt_at, attempt_count, error_code, error_message, attempted_at)
          ), updated AS (
            UPDATE delivery_intents i SET status = x.status, next_attempt_at = x.next_attempt_at,
              attempt_count = GREATEST(i.attempt_count, x.attempt_count), last_attempt_at = x.attempted_at,
              error_code = x.error_code, error_message = x.error_message,
              lease_until = NULL, lease_owner = NULL, updated_at = now()
            FROM x WHERE i.id = x.intent_id AND i.status IN ('pending', 'retrying')
            RETURNING i.event_id, i.status
          ), counts AS (
            SELECT event_id, count(*) FILTER (WHERE status = 'succeeded')::int AS succeeded,
              count(*) FILTER (WHERE status = 'failed')::int AS failed
            FROM updated GROUP BY event_id
          )
          UPDATE events e SET success_count = e.success_count + counts.succeeded,
            failure_count = e.failure_count + counts.failed,
            status = ${eventStatusCase(sql, "e.success_count + counts.succeeded", "e.failure_count + counts.failed")}
          FROM counts WHERE e.id = counts.event_id AND counts.succeeded + counts.failed > 0`
      }))
    })

    /** Gives claimed but unattempted intents back (shutdown, circuit opened mid-batch). */
    const release = Effect.fn("DeliveryQueue.release")(function*(intentIds: ReadonlyArray<IntentId>, owner: string) {
      if (intentIds.length === 0) return
      yield* sql`
        UPDATE delivery_intents SET lease_until = NULL, lease_owner = NULL
        WHERE id = ANY(${intentIds}::text[]) AND lease_owner = ${owner}`
    })

    /** Keeps leases of intents still being worked on alive; a crashed worker's leases lapse quickly. */
    const extendLeases = Effect.fn("DeliveryQueue.extendLeases")(
      function*(intentIds: ReadonlyArray<IntentId>, owner: string, leaseMs: number) {
        if (intentIds.length === 0) return
        yield* sql`
          UPDATE delivery_intents SET lease_until = now() + make_interval(secs => ${leaseMs / 1000})
          WHERE id = ANY(${intentIds}::text[]) AND lease_owner = ${owner}`
      }
    )

    /** When this destination next has work: the soonest due or lease-expiry time. */
    const nextDueAt = Effect.fn("DeliveryQueue.nextDueAt")(function*(destinationId: DestinationId) {
      const rows = yield* sql<{ at: Date | null }>`
        SELECT min(GREATEST(next_attempt_at, COALESCE(lease_until, next_attempt_at))) AS at
        FROM delivery_intents
        WHERE destination_id = ${destinationId} AND status IN ('pending', 'retrying')`
      return Option.fromNullable(rows[0]?.at)
    })

    /** Destinations with due intents nobody holds: what the sweeper wakes. */
    const dueDestinations = Effect.fn("DeliveryQueue.dueDestinations")(function*(limit: number) {
      const rows = yield* sql<{ destination_id: string }>`
        SELECT DISTINCT i.destination_id FROM delivery_intents i
        JOIN destinations d ON d.id = i.destination_id AND d.status = 'active'
        WHERE i.status IN ('pending', 'retrying') AND i.next_attempt_at <= now()
          AND (i.lease_until IS NULL OR i.lease_until < now())
        LIMIT ${limit}`
      return rows.map((row) => row.destination_id as DestinationId)
    })

    return { claim, complete, release, extendLeases, nextDueAt, dueDestinations } as const
  })
}) {}
