import * as SqlClient from "@effect/sql/SqlClient"
import type { DestinationId, EventId, IntentId, RecoveryJobId, TenantId } from "@signal/domain/Ids"
import { makeId } from "@signal/domain/Ids"
import { type RecoverableStatus, RecoveryJob, type RecoveryState, type ReplayAction } from "@signal/domain/Recovery"
import type { SqlError } from "@effect/sql/SqlError"
import type * as Statement from "@effect/sql/Statement"
import { Effect, Option, Schedule } from "effect"
import { utc, utcOrNull } from "./Paging"
import { reopenIntents } from "./ReopenIntentsSql"
import { sqlState } from "./SqlFailure"
import { type TimeScope, windowSeqs, type WindowSeqs, withinWindow } from "./TimeWindow"

/**
 * Re-opening intents locks intents and then their events, as completing attempts does, but several
 * of each: two such statements can still deadlock on events. Postgres then aborts one; it runs again.
 */
const retryDeadlocks = <A, R>(self: Effect.Effect<A, SqlError, R>) =>
  Effect.retry(self, {
    times: 3,
    schedule: Schedule.jittered(Schedule.exponential("20 millis")),
    while: (error) => sqlState(error) === "40P01" || sqlState(error) === "40001"
  })

interface JobRow {
  readonly id: string
  readonly tenant_id: string
  readonly destination_id: string
  readonly since: Date
  readonly until: Date
  readonly statuses: ReadonlyArray<RecoverableStatus>
  readonly state: RecoveryState
  readonly matched: number | null
  readonly requeued: number
  readonly created_at: Date
  readonly started_at: Date | null
  readonly finished_at: Date | null
}

const toJob = (row: JobRow) =>
  RecoveryJob.make({
    id: row.id as RecoveryJobId,
    tenantId: row.tenant_id as TenantId,
    destinationId: row.destination_id as DestinationId,
    since: utc(row.since),
    until: utc(row.until),
    status: row.statuses,
    state: row.state,
    matched: row.matched,
    requeued: row.requeued,
    createdAt: utc(row.created_at),
    startedAt: utcOrNull(row.started_at),
    finishedAt: utcOrNull(row.finished_at)
  })

export interface NewRecovery {
  readonly tenantId: TenantId
  readonly destinationId: DestinationId
  readonly since: Date
  readonly until: Date
  /** Whether `until` was given (a recovery "until now" asked twice is the same request). */
  readonly untilGiven: boolean
  readonly statuses: ReadonlyArray<RecoverableStatus>
}

/** A job this runner holds, with what its batches need. */
export interface ClaimedRecovery {
  readonly id: RecoveryJobId
  readonly destinationId: DestinationId
  readonly since: Date
  readonly until: Date
}

export interface ReplayDelivery {
  readonly destinationId: DestinationId
  readonly intentId: IntentId
  readonly action: ReplayAction
}

/** Whether a destination can take deliveries: the API's 404 and 409 come from this. */
export type DestinationState = "active" | "disabled" | "missing"

export class RecoveryRepo extends Effect.Service<RecoveryRepo>()("@signal/store/RecoveryRepo", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient

    const scopeOf = (job: ClaimedRecovery): TimeScope => ({
      table: "delivery_intents",
      column: "destination_id",
      id: job.destinationId,
      time: "created_at"
    })

    /**
     * The intents (`i`) a job is about: its destination's, created in its window, with one of the job's
     * statuses (`statuses`, an array). The status is tested as an expression, which no index serves:
     * Postgres keeps no statistics on it, and took the tenant's index by status for a few rows, reading
     * every intent of the tenant with that status in the window (200,000 for 500) on every batch. The
     * destination's `seq` index reads the job's intents in its order.
     */
    const intentsOf = (job: ClaimedRecovery, statuses: Statement.Fragment, seqs?: WindowSeqs) =>
      sql`${withinWindow(sql, "i", scopeOf(job), job.since, job.until, seqs)} AND (i.status || '') = ANY(${statuses})`

    /**
     * A new job, or the open one asking for the same thing: at most one is queued or running per
     * destination and request, so asking twice never doubles the work.
     */
    const create = Effect.fn("RecoveryRepo.create")(function*(input: NewRecovery) {
      const statuses = [...new Set(input.statuses)].sort()
      const key = `${input.since.toISOString()}|${input.untilGiven ? input.until.toISOString() : "now"}|${statuses.join(",")}`
      for (let tries = 0; tries < 3; tries++) {
        const inserted = yield* sql<JobRow>`
          INSERT INTO recovery_jobs (id, tenant_id, destination_id, request_key, since, until, statuses)
          VALUES (${makeId.recoveryJob()}, ${input.tenantId}, ${input.destinationId}, ${key}, ${input.since},
            ${input.until}, ${statuses}::text[])
          ON CONFLICT (destination_id, request_key) WHERE state IN ('queued', 'running') DO NOTHING
          RETURNING *`
        if (inserted.length > 0) return { job: toJob(inserted[0]), created: true }
        const open = yield* sql<JobRow>`
          SELECT * FROM recovery_jobs WHERE destination_id = ${input.destinationId} AND request_key = ${key}
            AND state IN ('queued', 'running')`
        // The open one may have finished in between: then this request starts a new one.
        if (open.length > 0) return { job: toJob(open[0]), created: false }
      }
      return yield* Effect.dieMessage("recovery job neither created nor found")
    })

    const findById = Effect.fn("RecoveryRepo.findById")(function*(tenantId: TenantId, id: RecoveryJobId) {
      const rows = yield* sql<JobRow>`SELECT * FROM recovery_jobs WHERE id = ${id} AND tenant_id = ${tenantId}`
      return Option.map(Option.fromNullable(rows[0]), toJob)
    })

    /**
     * Takes the oldest open job nobody holds (new, or left by a runner that stopped) for `leaseMs`,
     * counting what it matches when it first starts. Two runners on one job (a lease that lapsed while
     * its runner was slow) cost time, never deliveries: only finished intents are re-opened.
     */
    const claim = Effect.fn("RecoveryRepo.claim")(function*(leaseMs: number) {
      const rows = yield* sql<JobRow>`
        WITH next AS (
          SELECT id FROM recovery_jobs
          WHERE state IN ('queued', 'running') AND (lease_until IS NULL OR lease_until < now())
          ORDER BY created_at LIMIT 1
          FOR UPDATE SKIP LOCKED
        )
        UPDATE recovery_jobs j SET state = 'running', started_at = COALESCE(j.started_at, now()),
          lease_until = now() + make_interval(secs => ${leaseMs / 1000})
        FROM next WHERE j.id = next.id
        RETURNING j.*`
      if (rows.length === 0) return Option.none<ClaimedRecovery>()
      const row = rows[0]
      const job: ClaimedRecovery = {
        id: row.id as RecoveryJobId,
        destinationId: row.destination_id as DestinationId,
        since: row.since,
        until: row.until
      }
      // Counted once, when the job first starts; the window is the job's, so the statement is too.
      if (row.matched === null) {
        yield* sql`
          UPDATE recovery_jobs SET matched = (
            SELECT count(*)::int FROM delivery_intents i WHERE ${intentsOf(job, sql`${row.statuses}::text[]`)}
          )
          WHERE id = ${job.id} AND matched IS NULL`
      }
      return Option.some(job)
    })

    /**
     * Re-queues the job's next batch after its cursor (a seq) and moves the cursor and counters in the
     * same statement, so a runner that stops resumes exactly where the last batch ended. Answers how
     * many intents the batch looked at (0: the job is done).
     */
    const step = Effect.fn("RecoveryRepo.step")(function*(job: ClaimedRecovery, batchSize: number, leaseMs: number) {
      // Found again for each batch (intents created just before the window's end can come late), and
      // read as values with the cursor, so that the batch is planned as a walk of the index in order.
      const seqs = yield* windowSeqs(sql, scopeOf(job), job.since, job.until)
      const [position] = yield* sql<{ cursor: string }>`
        SELECT COALESCE(cursor_seq, 0)::text AS cursor FROM recovery_jobs WHERE id = ${job.id}`
      if (position === undefined) return 0
      const rows = yield* retryDeadlocks(sql<{ picked: number }>`
        WITH job AS (SELECT * FROM recovery_jobs WHERE id = ${job.id} AND state = 'running'),
        ${reopenIntents(sql, sql`
          SELECT i.id, i.status, i.seq FROM delivery_intents i, job
          WHERE ${intentsOf(job, sql`job.statuses`, seqs)} AND i.seq > ${position.cursor}
          ORDER BY i.seq
          LIMIT ${batchSize}
          FOR UPDATE OF i`)},
        progressed AS (
          UPDATE recovery_jobs j SET requeued = j.requeued + (SELECT count(*) FROM updated)::int,
            cursor_seq = (SELECT max(seq) FROM picked),
            lease_until = now() + make_interval(secs => ${leaseMs / 1000})
          WHERE j.id = ${job.id} AND EXISTS (SELECT 1 FROM picked)
        )
        SELECT (SELECT count(*) FROM picked)::int AS picked`)
      return rows[0]?.picked ?? 0
    })

    const finish = Effect.fn("RecoveryRepo.finish")(function*(jobId: RecoveryJobId) {
      yield* sql`
        UPDATE recovery_jobs SET state = 'done', finished_at = now(), lease_until = NULL
        WHERE id = ${jobId} AND state = 'running'`
    })

    const destinationStates = (tenantId: TenantId, ids: ReadonlyArray<DestinationId>) =>
      sql<{ id: string; status: string }>`
        SELECT id, status FROM destinations
        WHERE tenant_id = ${tenantId} AND id = ANY(${ids}::text[]) AND deleted_at IS NULL`

    /** Whether a destination of this tenant exists (not deleted) and is active. */
    const destinationState = Effect.fn("RecoveryRepo.destinationState")(
      function*(tenantId: TenantId, id: DestinationId) {
        const rows = yield* destinationStates(tenantId, [id])
        return rows.length === 0 ? "missing" as const : rows[0].status === "active" ? "active" as const : "disabled" as const
      }
    )

    /**
     * Delivers one event again, in one transaction: finished intents re-open, open ones stay, chosen
     * destinations the event never went to get a new intent. Without a choice, every active destination
     * it went to. Fails with the destinations that are missing or disabled, before changing anything.
     * Replays of one event take turns on a transaction-scoped advisory lock (so two do not both create
     * an intent) rather than on the event row, which would be locked before its intents: the reverse
     * of the order in which completing an attempt locks them.
     */
    const replay = Effect.fn("RecoveryRepo.replay")(function*(
      tenantId: TenantId,
      eventId: EventId,
      chosen: ReadonlyArray<DestinationId> | undefined
    ) {
      return yield* retryDeadlocks(sql.withTransaction(Effect.gen(function*() {
        yield* sql`SELECT pg_advisory_xact_lock(hashtextextended(${eventId}, 0))`
        const event = yield* sql`SELECT id FROM events WHERE id = ${eventId} AND tenant_id = ${tenantId}`
        if (event.length === 0) return { _tag: "EventMissing" } as const
        if (chosen !== undefined) {
          const known = new Map((yield* destinationStates(tenantId, chosen)).map((row) => [row.id, row.status]))
          const missing = chosen.find((id) => !known.has(id))
          if (missing !== undefined) return { _tag: "DestinationMissing", destinationId: missing } as const
          const disabled = chosen.find((id) => known.get(id) !== "active")
          if (disabled !== undefined) return { _tag: "DestinationDisabled", destinationId: disabled } as const
        }
        const existing = yield* sql<{ id: string; destination_id: string; status: string }>`
          SELECT i.id, i.destination_id, i.status FROM delivery_intents i
          JOIN destinations d ON d.id = i.destination_id
          WHERE i.event_id = ${eventId}
            AND ${chosen === undefined
              ? sql`d.status = 'active' AND d.deleted_at IS NULL`
              : sql`i.destination_id = ANY(${chosen}::text[])`}`
        // An event may in principle hold several intents for one destination: re-open each finished one.
        yield* sql`
          WITH ${reopenIntents(sql, sql`
            SELECT id, status FROM delivery_intents
            WHERE id = ANY(${existing.map((row) => row.id)}::text[]) FOR UPDATE`)}
          SELECT count(*) FROM updated`
        const deliveries: Array<ReplayDelivery> = existing.map((row) => ({
          destinationId: row.destination_id as DestinationId,
          intentId: row.id as IntentId,
          action: row.status === "succeeded" || row.status === "failed" ? "requeued" : "already_pending"
        }))
        const reached = new Set(existing.map((row) => row.destination_id))
        const fresh = (chosen ?? []).filter((id, index, all) => !reached.has(id) && all.indexOf(id) === index)
          .map((destinationId) => ({ destinationId, intentId: makeId.intent() }))
        if (fresh.length > 0) {
          yield* sql`
            INSERT INTO delivery_intents (id, tenant_id, event_id, destination_id, status, next_attempt_at, ordering_key)
            SELECT x.id, ${tenantId}, ${eventId}, x.destination_id, 'pending', now(),
              (SELECT ordering_key FROM events WHERE id = ${eventId})
            FROM unnest(${fresh.map((f) => f.intentId)}::text[], ${fresh.map((f) => f.destinationId)}::text[])
              AS x(id, destination_id)`
          yield* sql`
            UPDATE events SET destination_count = destination_count + ${fresh.length}, status = 'pending'
            WHERE id = ${eventId}`
          for (const f of fresh) deliveries.push({ ...f, action: "created" })
        }
        return { _tag: "Replayed", deliveries } as const
      })))
    })

    return { create, findById, claim, step, finish, destinationState, replay } as const
  })
}) {}
