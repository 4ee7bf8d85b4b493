import * as SqlClient from "@effect/sql/SqlClient"
import type { CircuitState } from "@signal/domain/Destination"
import type { DestinationId, TenantId } from "@signal/domain/Ids"
import { Effect } from "effect"
import { type TimeScope, withinWindow } from "./TimeWindow"

/** A tenant, or one of its destinations, over `[from, to)`. */
export interface AnalyticsScope {
  readonly tenantId: TenantId
  readonly destinationId: DestinationId | null
  readonly from: Date
  readonly to: Date
}

export interface AnalyticsFigures {
  readonly events: number
  readonly deliveries: number
  readonly succeeded: number
  readonly failed: number
  readonly inProgress: number
  readonly attempts: number
  readonly attempted: number
  readonly p50Ms: number | null
  readonly p95Ms: number | null
  readonly pending: number
  readonly retrying: number
}

export interface QueueDepth {
  readonly pending: number
  readonly retrying: number
}

const circuitStates: ReadonlyArray<CircuitState> = ["closed", "open", "half_open"]

const toNumberOrNull = (value: number | string | null) => value === null ? null : Number(value)

export class AnalyticsRepo extends Effect.Service<AnalyticsRepo>()("@signal/store/AnalyticsRepo", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient

    /**
     * Every figure of a scope in one statement (one snapshot): deliveries are the intents created in
     * the window, latencies come from the attempts started in it (both found by `seq`, `TimeWindow`),
     * the queue is what waits now.
     */
    const figures = Effect.fn("AnalyticsRepo.figures")(function*(scope: AnalyticsScope) {
      yield* Effect.annotateCurrentSpan({ "signal.tenant_id": scope.tenantId, "signal.destination_id": scope.destinationId ?? "" })
      const destination = (column: string) =>
        scope.destinationId === null ? sql`TRUE` : sql`${sql(column)} = ${scope.destinationId}`
      // The narrower of the two scopes finds the window's rows; the tenant is checked on them too.
      const window = (table: TimeScope["table"], alias: string, time: TimeScope["time"]) =>
        withinWindow(
          sql,
          alias,
          scope.destinationId === null
            ? { table, column: "tenant_id", id: scope.tenantId, time }
            : { table, column: "destination_id", id: scope.destinationId, time },
          scope.from,
          scope.to
        )
      // Events are a tenant's (a destination's figures count the events routed to it instead).
      const published = scope.destinationId === null
        ? sql`SELECT count(*)::int AS events FROM events e WHERE ${window("events", "e", "created_at")}`
        : sql`SELECT 0 AS events`
      const rows = yield* sql<{
        events: number
        deliveries: number
        succeeded: number
        failed: number
        in_progress: number
        attempts: number
        attempted: number
        routed_events: number
        p50: number | string | null
        p95: number | string | null
        pending: number
        retrying: number
      }>`
        WITH window_intents AS (
          SELECT event_id, status, attempt_count FROM delivery_intents i
          WHERE i.tenant_id = ${scope.tenantId} AND ${window("delivery_intents", "i", "created_at")}
        ), delivery AS (
          SELECT count(*)::int AS deliveries,
            count(*) FILTER (WHERE status = 'succeeded')::int AS succeeded,
            count(*) FILTER (WHERE status = 'failed')::int AS failed,
            count(*) FILTER (WHERE status IN ('pending', 'retrying'))::int AS in_progress,
            COALESCE(sum(attempt_count), 0)::int AS attempts,
            count(*) FILTER (WHERE attempt_count > 0)::int AS attempted,
            count(DISTINCT event_id)::int AS routed_events
          FROM window_intents
        ), latency AS (
          SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms) AS p50,
            percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) AS p95
          FROM delivery_attempts a
          WHERE a.tenant_id = ${scope.tenantId} AND ${window("delivery_attempts", "a", "started_at")}
            -- an intent that expired before its request went out records a 0 ms attempt: no latency
            AND a.error_code IS DISTINCT FROM 'expired'
        ), queue AS (
          SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending,
            count(*) FILTER (WHERE status = 'retrying')::int AS retrying
          FROM delivery_intents
          WHERE tenant_id = ${scope.tenantId} AND ${destination("destination_id")} AND status IN ('pending', 'retrying')
        ), published AS (${published})
        SELECT * FROM delivery, latency, queue, published`
      const row = rows[0]!
      return {
        // A destination sees the events routed to it; a tenant every event it published.
        events: scope.destinationId === null ? row.events : row.routed_events,
        deliveries: row.deliveries,
        succeeded: row.succeeded,
        failed: row.failed,
        inProgress: row.in_progress,
        attempts: row.attempts,
        attempted: row.attempted,
        p50Ms: toNumberOrNull(row.p50),
        p95Ms: toNumberOrNull(row.p95),
        pending: row.pending,
        retrying: row.retrying
      } satisfies AnalyticsFigures
    })

    /** Pending and retrying intents across the whole database (an index-only count). */
    const queueDepth = Effect.fn("AnalyticsRepo.queueDepth")(function*() {
      const rows = yield* sql<{ status: string; count: number }>`
        SELECT status, count(*)::int AS count FROM delivery_intents
        WHERE status IN ('pending', 'retrying') GROUP BY status`
      const of = (status: string) => rows.find((row) => row.status === status)?.count ?? 0
      return { pending: of("pending"), retrying: of("retrying") } satisfies QueueDepth
    })

    /** Active destinations per circuit state, every state present (zero when none). */
    const circuitStateCounts = Effect.fn("AnalyticsRepo.circuitStates")(function*() {
      const rows = yield* sql<{ state: string; count: number }>`
        SELECT circuit_state AS state, count(*)::int AS count FROM destinations
        WHERE deleted_at IS NULL AND status = 'active' GROUP BY circuit_state`
      return circuitStates.map((state) => ({
        state,
        count: rows.find((row) => row.state === state)?.count ?? 0
      }))
    })

    return { figures, queueDepth, circuitStates: circuitStateCounts } as const
  })
}) {}
