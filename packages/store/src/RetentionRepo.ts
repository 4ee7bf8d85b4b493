import * as SqlClient from "@effect/sql/SqlClient"
import type { TenantId } from "@signal/domain/Ids"
import { DEFAULT_RETENTION_DAYS, type Retention, type UpdateRetention } from "@signal/domain/Retention"
import { Config, Effect, Option } from "effect"
import { seqBefore, seqFrom, withinWindow } from "./TimeWindow"

const DAY_MS = 86_400_000

/** Rows one pruning statement deletes or clears at most: short transactions, short locks. */
export const DEFAULT_RETENTION_BATCH = 1_000

interface SettingsRow {
  readonly retention_days: number | null
  readonly response_body_retention_days: number | null
}

/** A tenant's retention as it applies now. */
export interface TenantRetention {
  readonly tenantId: TenantId
  readonly days: number
  readonly responseBodyDays: number
}

/**
 * Retention settings (per tenant, falling back to `SIGNAL_RETENTION_DAYS` and
 * `SIGNAL_RESPONSE_BODY_RETENTION_DAYS`) and the batched deletes that apply them.
 */
export class RetentionRepo extends Effect.Service<RetentionRepo>()("@signal/store/RetentionRepo", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const defaultDays = yield* Config.integer("SIGNAL_RETENTION_DAYS").pipe(
      Config.withDefault(DEFAULT_RETENTION_DAYS),
      Config.validate({ message: "must be at least 1", validation: (days) => days >= 1 })
    )
    const defaultBodyDays = yield* Config.integer("SIGNAL_RESPONSE_BODY_RETENTION_DAYS").pipe(
      Config.withDefault(defaultDays),
      Config.validate({ message: "must be at least 1", validation: (days) => days >= 1 })
    )

    /** Bodies never outlive their attempts. */
    const effective = (row: SettingsRow) => {
      const days = row.retention_days ?? defaultDays
      return { days, responseBodyDays: Math.min(row.response_body_retention_days ?? defaultBodyDays, days) }
    }
    const toRetention = (row: SettingsRow): Retention => ({
      days: row.retention_days,
      responseBodyDays: row.response_body_retention_days,
      effective: effective(row)
    })

    const get = Effect.fn("RetentionRepo.get")(function*(tenantId: TenantId) {
      const rows = yield* sql<SettingsRow>`
        SELECT retention_days, response_body_retention_days FROM tenants WHERE id = ${tenantId}`
      return Option.map(Option.fromNullable(rows[0]), toRetention)
    })

    const set = Effect.fn("RetentionRepo.set")(function*(tenantId: TenantId, update: UpdateRetention) {
      const rows = yield* sql<SettingsRow>`
        UPDATE tenants SET retention_days = ${update.days}, response_body_retention_days = ${update.responseBodyDays},
          updated_at = now()
        WHERE id = ${tenantId}
        RETURNING retention_days, response_body_retention_days`
      return Option.map(Option.fromNullable(rows[0]), toRetention)
    })

    const tenants = Effect.fn("RetentionRepo.tenants")(function*() {
      const rows = yield* sql<SettingsRow & { id: string }>`
        SELECT id, retention_days, response_body_retention_days FROM tenants ORDER BY id`
      return rows.map((row): TenantRetention => ({ tenantId: row.id as TenantId, ...effective(row) }))
    })

    /**
     * Deletes up to `batch` of the tenant's oldest events created before `before`, with their intents
     * and attempts, in one statement (foreign keys are checked at its end). An event with a delivery
     * still open is kept until it finishes: its intent may be leased right now. Answers the events deleted.
     */
    const pruneEvents = Effect.fn("RetentionRepo.pruneEvents")(
      function*(tenantId: TenantId, before: Date, batch: number) {
        const scope = { table: "events", column: "tenant_id", id: tenantId, time: "created_at" } as const
        const rows = yield* sql<{ events: number; intents: number; attempts: number }>`
          WITH doomed AS (
            SELECT e.id FROM events e
            WHERE ${withinWindow(sql, "e", scope, undefined, before)}
              AND NOT EXISTS (
                SELECT 1 FROM delivery_intents i WHERE i.event_id = e.id AND i.status IN ('pending', 'retrying')
              )
            ORDER BY e.seq
            LIMIT ${batch}
            FOR UPDATE SKIP LOCKED
          ), attempts AS (
            DELETE FROM delivery_attempts a USING doomed, delivery_intents i
            WHERE i.event_id = doomed.id AND a.intent_id = i.id RETURNING 1
          ), intents AS (
            DELETE FROM delivery_intents i USING doomed WHERE i.event_id = doomed.id RETURNING 1
          ), events AS (
            DELETE FROM events e USING doomed WHERE e.id = doomed.id RETURNING 1
          )
          SELECT (SELECT count(*) FROM events)::int AS events, (SELECT count(*) FROM intents)::int AS intents,
            (SELECT count(*) FROM attempts)::int AS attempts`
        return rows[0]
      }
    )

    /**
     * Clears up to `batch` response bodies of the tenant's attempts started before `before`, from the
     * tenant's watermark (a seq) on, and moves the watermark past them: each pass reads only attempts it
     * has not cleared yet. The watermark never passes `seqFrom(before)` (`TimeWindow`): an attempt
     * beyond it may have started after `before`, and its body is cleared by a later pass.
     * Answers the bodies cleared.
     */
    const pruneResponseBodies = Effect.fn("RetentionRepo.pruneResponseBodies")(
      function*(tenantId: TenantId, before: Date, batch: number) {
        const scope = { table: "delivery_attempts", column: "tenant_id", id: tenantId, time: "started_at" } as const
        const rows = yield* sql<{ cleared: number }>`
          WITH doomed AS (
            SELECT a.id, a.seq FROM delivery_attempts a
            -- the watermark as a value (not a join) bounds the index scan
            WHERE a.tenant_id = ${tenantId}
              AND a.seq >= (SELECT COALESCE(response_bodies_pruned_seq, 0) FROM tenants WHERE id = ${tenantId})
              AND a.seq < ${seqBefore(sql, scope, before)}
              AND a.started_at < ${before} AND a.response_body IS NOT NULL
            ORDER BY a.seq
            LIMIT ${batch}
          ), cleared AS (
            UPDATE delivery_attempts a SET response_body = NULL FROM doomed WHERE a.id = doomed.id RETURNING 1
          ), safe AS (
            SELECT ${seqFrom(sql, scope, before)} AS seq
          ), moved AS (
            UPDATE tenants SET response_bodies_pruned_seq = CASE
              WHEN (SELECT count(*) FROM doomed) < ${batch} THEN (SELECT seq FROM safe)
              ELSE LEAST((SELECT max(seq) + 1 FROM doomed), (SELECT seq FROM safe)) END
            WHERE id = ${tenantId}
          )
          SELECT count(*)::int AS cleared FROM cleared`
        return rows[0]?.cleared ?? 0
      }
    )

    /** Finished recovery jobs are kept as long as the server-wide retention. */
    const pruneRecoveryJobs = Effect.fn("RetentionRepo.pruneRecoveryJobs")(function*(now: Date) {
      yield* sql`
        DELETE FROM recovery_jobs WHERE state = 'done' AND finished_at < ${new Date(now.getTime() - defaultDays * DAY_MS)}`
    })

    return { get, set, tenants, pruneEvents, pruneResponseBodies, pruneRecoveryJobs } as const
  })
}) {}
