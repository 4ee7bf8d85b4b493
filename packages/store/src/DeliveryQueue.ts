import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import type { DeliveryError } from "@signal/domain/DeliveryIntent"
import type { AttemptResponse } from "@signal/domain/DeliveryAttempt"
import type { DestinationId, IntentId } from "@signal/domain/Ids"
import { Clock, Effect, Option } from "effect"
import { endIntentsOfDeletedDestination } from "./DeletedDestinationSql"
import { ClaimPool, Pool } from "./Database"
import * as DeliveryStatements from "./DeliveryStatements"
import { spaceSeparated } from "./SpaceSeparated"
import { storableText } from "./SqlFailure"

/** A due intent, leased to one worker, with what its request needs. */
export interface ClaimedIntent {
  readonly intentId: IntentId
  readonly tenantId: string
  readonly eventId: string
  readonly destinationId: DestinationId
  readonly attemptNumber: number
  /** Who holds the lease: an outcome changes the intent only while this is still its owner. */
  readonly leaseOwner: string
  readonly traceparent: string | null
  readonly event: {
    readonly senderId: string
    readonly type: string
    readonly topics: ReadonlyArray<string>
    readonly payloadJson: string
    readonly headers: Record<string, string>
    /** ISO 8601 in UTC with milliseconds. */
    readonly createdAt: string
    readonly expiresAt: Date | null
  }
}

/** What one destination's claim asks for. */
export interface ClaimRequest {
  readonly destinationId: DestinationId
  readonly limit: number
  readonly maxBytes: number
  readonly leaseMs: number
  readonly owner: string
  readonly held: ReadonlyArray<IntentId>
  /** FIFO: only the first open intent of each ordering key (in publish order) may be claimed. */
  readonly ordered?: boolean
}

/** What a claim leased, and what the same statement saw of the destination. */
export interface Claim {
  readonly intents: ReadonlyArray<ClaimedIntent>
  /** The destination's version (`DeliveryDestination.version`) as of the claim; `null`: it was deleted. */
  readonly destinationVersion: string | null
  /**
   * Unordered claims: when the first open intent nobody holds that this claim did not take falls
   * due (`null`: none). Always `null` for ordered claims: there a key's next intent becomes
   * claimable only once the one before it has ended.
   */
  readonly nextDueAt: Date | null
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
  /**
   * retrying with a time, or final: `expired` ends it as failed with the error `expired` (the event's
   * ttl ends before its next attempt would), the attempt keeping its own error.
   */
  readonly next: { readonly status: "succeeded" | "failed" | "expired" } | { readonly status: "retrying"; readonly at: Date }
}

export class DeliveryQueue extends Effect.Service<DeliveryQueue>()("@signal/store/DeliveryQueue", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const pool = yield* Pool
    const claimPool = yield* ClaimPool
    // Lease and due times compare with the engine's Clock, so TestClock drives them like every other timer.
    const now = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms))

    /** Each request's claim from the claim statement's rows (`requested` says whose a row is). */
    const claimsOf = (requests: ReadonlyArray<ClaimRequest>, rows: ReadonlyArray<DeliveryStatements.ClaimRow>) => {
      const claims = new Map<DestinationId, { intents: Array<ClaimedIntent>; destinationVersion: string | null; nextDueAt: Date | null }>()
      const owners = new Map<DestinationId, string>()
      for (const request of requests) owners.set(request.destinationId, request.owner)
      for (const row of rows) {
        let claim = claims.get(row.requested)
        if (claim === undefined) {
          claim = { intents: [], destinationVersion: null, nextDueAt: null }
          claims.set(row.requested, claim)
        }
        if (row.id === null) {
          claim.destinationVersion = row.destination_version
          claim.nextDueAt = row.next_due_at
          continue
        }
        claim.intents.push({
          intentId: row.id as IntentId,
          tenantId: row.tenant_id,
          eventId: row.event_id,
          destinationId: row.requested,
          attemptNumber: row.attempt_count + 1,
          leaseOwner: owners.get(row.requested)!,
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
        })
      }
      for (const claim of claims.values()) claim.intents.sort((a, b) => a.intentId < b.intentId ? -1 : 1)
      return claims as ReadonlyMap<DestinationId, Claim>
    }

    /**
     * Leases due intents of many destinations in one statement, each request's in due order: at
     * most its `limit` rows, and no more than fit in its `maxBytes` of payload (always at least one),
     * so a claim's memory is bounded by bytes as well as rows. SKIP LOCKED keeps concurrent claimers
     * off each other's rows; an expired lease is taken over, except for a request's `held` intents,
     * which its worker is still working on. Each claim also tells the destination's version (`null`:
     * deleted), read in the statement that claims, so a change committed before an intent's event is
     * seen with that intent's claim; and when the work left falls due, so a drain needs no statement
     * to learn it. Requests are unordered destinations', one per destination, all with the same
     * lease time.
     */
    const claimMany = (requests: ReadonlyArray<ClaimRequest>) =>
      Effect.flatMap(now, (at) =>
        DeliveryStatements.claimMany.run(claimPool, [
          spaceSeparated(requests.length, (i) => requests[i].destinationId),
          spaceSeparated(requests.length, (i) => requests[i].limit),
          spaceSeparated(requests.length, (i) => requests[i].maxBytes),
          spaceSeparated(requests.length, (i) => requests[i].owner),
          spaceSeparated(requests.length, (i) => requests[i].held.join(",")),
          at,
          (requests[0]?.leaseMs ?? 0) / 1000
        ])).pipe(
          Effect.map((rows) => claimsOf(requests, rows)),
          Effect.withSpan("DeliveryQueue.claimMany", {
            kind: "client",
            captureStackTrace: false,
            attributes: { "signal.requests": requests.length }
          })
        )

    /**
     * One destination's claim, as `claimMany` makes it. Ordered (FIFO), a key whose first open intent
     * is held, leased, locked or not due yet yields nothing: its next intent waits, and no next due
     * time is told.
     */
    const claim = (request: ClaimRequest): Effect.Effect<Claim, SqlError> =>
      request.ordered
        ? Effect.flatMap(now, (at) =>
          DeliveryStatements.claimOrdered.run(pool, [
            request.destinationId,
            at,
            request.held,
            request.limit,
            request.leaseMs / 1000,
            request.owner,
            request.maxBytes
          ])).pipe(
            Effect.map((rows) => claimsOf([request], rows).get(request.destinationId)!),
            Effect.withSpan("DeliveryQueue.claim", {
              kind: "client",
              captureStackTrace: false,
              attributes: { "signal.destination_id": request.destinationId }
            })
          )
        : Effect.map(claimMany([request]), (claims) => claims.get(request.destinationId)!)

    /**
     * Writes a batch of outcomes: attempts, intents and event counters, in one statement (so one
     * round trip, atomic without a transaction of its own). Every attempt is stored; an intent changes
     * only while the outcome's writer still holds its lease (a worker whose lease lapsed and was taken
     * over records its attempt, nothing more). Text Postgres cannot hold is stored with a marker in
     * place of the NUL characters.
     */
    const complete = (outcomes: ReadonlyArray<AttemptOutcome>) => {
      if (outcomes.length === 0) return Effect.void
      const column = <A>(f: (outcome: AttemptOutcome) => A) => outcomes.map(f)
      const joined = (f: (outcome: AttemptOutcome) => string | number) =>
        spaceSeparated(outcomes.length, (i) => f(outcomes[i]))
      const storableOrNull = (text: string | null | undefined) => text == null ? null : storableText(text)
      return DeliveryStatements.complete.run(pool, [
        joined((o) => o.attemptId),
        joined((o) => o.claim.tenantId),
        joined((o) => o.claim.intentId),
        joined((o) => o.claim.eventId),
        joined((o) => o.claim.destinationId),
        joined((o) => o.claim.leaseOwner),
        joined((o) => o.claim.attemptNumber),
        joined((o) => Math.max(0, o.completedAt.getTime() - o.startedAt.getTime())),
        joined((o) => o.startedAt.getTime()),
        joined((o) => o.completedAt.getTime()),
        joined((o) => (o.succeeded ? "succeeded" : "failed")),
        joined((o) => o.next.status),
        JSON.stringify(column((o) => o.response?.statusCode ?? null)),
        JSON.stringify(column((o) => (o.next.status === "retrying" ? o.next.at.getTime() : null))),
        JSON.stringify(column((o) => (o.response ? storableHeaders(o.response.headers) : null))),
        column((o) => storableOrNull(o.response?.body)),
        column((o) => o.error?.code ?? null),
        column((o) => storableOrNull(o.error?.message))
      ]).pipe(
        Effect.asVoid,
        Effect.withSpan("DeliveryQueue.complete", { kind: "client", captureStackTrace: false, attributes: { "signal.outcomes": outcomes.length } })
      )
    }

    /**
     * Gives claimed but unattempted intents back (shutdown, circuit opened mid-batch, destination
     * disabled), each only while still leased to its owner (`owners`, one per intent).
     */
    const release = Effect.fn("DeliveryQueue.release")(
      function*(intentIds: ReadonlyArray<IntentId>, owners: ReadonlyArray<string>) {
        if (intentIds.length === 0) return
        yield* sql`
          UPDATE delivery_intents i SET lease_until = NULL, lease_owner = NULL
          FROM unnest(${intentIds}::text[], ${owners}::text[]) AS x(id, owner)
          WHERE i.id = ANY(${intentIds}::text[]) AND i.id = x.id AND i.lease_owner = x.owner`
      }
    )

    /**
     * Keeps leases of intents still being worked on alive, each under its owner; a crashed worker's
     * leases lapse quickly. Rows another transaction has locked are skipped, not waited for: they are
     * being completed (or released) right now, and waiting could deadlock with that statement. Each
     * intent is looked up by its key: joined as a whole, the planner read the entire table instead,
     * 6–57 ms per renewal against a 14,000-intent backlog. Commits as a lease (`leaseCommit`).
     */
    const extendLeases = Effect.fn("DeliveryQueue.extendLeases")(
      function*(intentIds: ReadonlyArray<IntentId>, owners: ReadonlyArray<string>, leaseMs: number) {
        if (intentIds.length === 0) return
        const at = yield* now
        yield* sql`
          WITH ${sql.literal(DeliveryStatements.leaseCommit)}
          UPDATE delivery_intents i SET lease_until = ${at}::timestamptz + make_interval(secs => ${leaseMs / 1000})
          FROM (
            SELECT d.id FROM unnest(${intentIds}::text[], ${owners}::text[]) AS x(id, owner)
            CROSS JOIN LATERAL (
              SELECT id FROM delivery_intents WHERE id = x.id AND lease_owner = x.owner FOR UPDATE SKIP LOCKED
            ) d
          ) AS held, lease_commit
          WHERE i.id = held.id`
      }
    )

    /**
     * When an ordered (FIFO) destination next has work nobody holds: the earliest due time among the
     * first open intent of each key whose lease is free (the ones behind it wait for it). An unordered
     * destination's claim tells this itself (`Claim.nextDueAt`).
     */
    const nextOrderedDueAt = Effect.fn("DeliveryQueue.nextOrderedDueAt")(function*(destinationId: DestinationId) {
      const rows = yield* DeliveryStatements.nextOrderedDue.run(pool, [destinationId, yield* now])
      return Option.fromNullable(rows[0]?.at)
    })

    /** Destinations worth waking: active with no circuit cooling down, or deleted (their work is ended). */
    const wakeable = (at: Date, circuitCoolDownMs: number) =>
      sql`(d.deleted_at IS NOT NULL OR (d.status = 'active' AND (d.circuit_state <> 'open'
        OR d.circuit_opened_at IS NULL
        OR d.circuit_opened_at <= ${at}::timestamptz - make_interval(secs => ${circuitCoolDownMs / 1000}))))`

    /**
     * Destinations to wake, oldest due work first: the first `window` due intents nobody holds, read
     * in due order from the global due index (a range scan over due rows only), grouped by destination.
     */
    const dueDestinations = Effect.fn("DeliveryQueue.dueDestinations")(
      function*(options: { readonly limit: number; readonly window: number; readonly circuitCoolDownMs: number }) {
        const at = yield* now
        const rows = yield* sql<{ id: string }>`
          WITH oldest AS (
            SELECT destination_id, next_attempt_at FROM delivery_intents
            WHERE status IN ('pending', 'retrying') AND next_attempt_at <= ${at}
              AND (lease_until IS NULL OR lease_until < ${at})
            ORDER BY next_attempt_at
            LIMIT ${options.window}
          ), heads AS (
            SELECT destination_id, min(next_attempt_at) AS due_at FROM oldest GROUP BY destination_id
          )
          SELECT d.id FROM heads JOIN destinations d ON d.id = heads.destination_id
          WHERE ${wakeable(at, options.circuitCoolDownMs)}
          ORDER BY heads.due_at
          LIMIT ${options.limit}`
        return rows.map((row) => row.id as DestinationId)
      }
    )

    /**
     * The same question for a slice of destinations in creation order after `afterSeq`, one index
     * probe each from the head of its due index to its first due intent nobody holds (past at most
     * the few a live worker has in flight): a sweep that walks the slices in turn reaches every
     * destination, also those whose work sits behind a disabled or failing destination's older
     * backlog in the global due order. `nextAfterSeq` is `null` once the last slice was read.
     */
    const dueInSlice = Effect.fn("DeliveryQueue.dueInSlice")(
      function*(options: { readonly afterSeq: string; readonly size: number; readonly circuitCoolDownMs: number }) {
        const at = yield* now
        const rows = yield* sql<{ id: string; seq: string; due: boolean }>`
          SELECT d.id, d.seq::text AS seq, (due.next_attempt_at IS NOT NULL
            AND ${wakeable(at, options.circuitCoolDownMs)}) AS due
          FROM (SELECT * FROM destinations WHERE seq > ${options.afterSeq}::bigint ORDER BY seq LIMIT ${options.size}) d
          LEFT JOIN LATERAL (
            SELECT i.next_attempt_at FROM delivery_intents i
            WHERE i.destination_id = d.id AND i.status IN ('pending', 'retrying') AND i.next_attempt_at <= ${at}
              AND (i.lease_until IS NULL OR i.lease_until < ${at})
            ORDER BY i.next_attempt_at, i.seq
            LIMIT 1
          ) due ON true
          ORDER BY d.seq`
        return {
          due: rows.filter((row) => row.due).map((row) => row.id as DestinationId),
          nextAfterSeq: rows.length < options.size ? null : rows[rows.length - 1].seq
        }
      }
    )

    /** Ends what a deleted destination still had open; how many intents that was. */
    const endDeleted = Effect.fn("DeliveryQueue.endDeleted")(function*(destinationId: DestinationId) {
      const rows = yield* endIntentsOfDeletedDestination(sql, destinationId)
      return rows[0]?.ended ?? 0
    })

    return { claim, claimMany, complete, release, extendLeases, nextOrderedDueAt, dueDestinations, dueInSlice, endDeleted } as const
  })
}) {}

/** Response headers Postgres can hold as JSON: NUL characters in names or values replaced by a marker. */
const storableHeaders = (headers: Readonly<Record<string, string>>): Readonly<Record<string, string>> => {
  const entries = Object.entries(headers)
  return entries.some(([name, value]) => name.includes("\u0000") || value.includes("\u0000"))
    ? Object.fromEntries(entries.map(([name, value]) => [storableText(name), storableText(value)]))
    : headers
}
