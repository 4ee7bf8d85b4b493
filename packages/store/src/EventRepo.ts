import { SqlClient } from "@effect/sql"
import { Event, type EventStatus, type ListEventsParams } from "@signal/domain/Event"
import { type DestinationId, type EventId, makeId, type SenderId, type TenantId } from "@signal/domain/Ids"
import { matches, type RoutableEvent } from "@signal/domain/Routing"
import { deliverySpan } from "@signal/domain/TraceContext"
import { DateTime, Effect, Option } from "effect"
import { DestinationRepo } from "./DestinationRepo"
import { and, seqWindow, toPage, utc, utcOrNull } from "./Paging"

interface EventRow {
  readonly seq: string
  readonly id: string
  readonly tenant_id: string
  readonly sender_id: string
  readonly type: string
  readonly topics: ReadonlyArray<string>
  readonly payload: unknown
  readonly headers: Record<string, string>
  readonly idempotency_key: string | null
  readonly status: EventStatus
  readonly destination_count: number
  readonly success_count: number
  readonly failure_count: number
  readonly expires_at: Date | null
  readonly created_at: Date
}

const toEvent = (row: EventRow) =>
  Event.make({
    id: row.id as EventId,
    tenantId: row.tenant_id as TenantId,
    senderId: row.sender_id as SenderId,
    type: row.type,
    topics: row.topics,
    payload: row.payload,
    headers: row.headers,
    idempotencyKey: row.idempotency_key,
    status: row.status,
    destinationCount: row.destination_count,
    successCount: row.success_count,
    failureCount: row.failure_count,
    expiresAt: utcOrNull(row.expires_at),
    createdAt: utc(row.created_at)
  })

/** An accepted event before it is stored: payload already validated JSON text. */
export interface EventDraft extends RoutableEvent {
  readonly payloadJson: string
  readonly headers: Record<string, string>
  readonly idempotencyKey: string | null
  readonly ttlSeconds: number | null
  readonly traceparent: string | null
}

export interface IngestResult {
  readonly events: ReadonlyArray<Event>
  /** Destinations that received new intents: each needs a wake after commit. */
  readonly destinations: ReadonlySet<DestinationId>
  readonly intentCount: number
}

export class EventRepo extends Effect.Service<EventRepo>()("@signal/store/EventRepo", {
  dependencies: [DestinationRepo.Default],
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const destinations = yield* DestinationRepo

    const findByIds = (tenantId: TenantId, ids: ReadonlyArray<string>) =>
      sql<EventRow>`SELECT * FROM events WHERE tenant_id = ${tenantId} AND id = ANY(${ids}::text[])`

    /**
     * Fan-out at ingest, in ONE transaction: events, then one intent per matching destination,
     * each written with a single statement whatever the batch size.
     */
    const ingest = Effect.fn("EventRepo.ingest")(function*(tenantId: TenantId, drafts: ReadonlyArray<EventDraft>) {
      return yield* sql.withTransaction(Effect.gen(function*() {
        const targets = yield* destinations.routingTargets(tenantId)
        // Within one batch the first use of an idempotency key wins; later ones answer with it.
        const firstByKey = new Map<string, number>()
        const owner = drafts.map((draft, index) => {
          if (draft.idempotencyKey === null) return index
          const first = firstByKey.get(draft.idempotencyKey)
          if (first !== undefined) return first
          firstByKey.set(draft.idempotencyKey, index)
          return index
        })
        const unique = drafts.flatMap((draft, index) => owner[index] === index ? [{ draft, index }] : [])
        const ids = drafts.map(() => makeId.event())
        const routes = unique.map(({ draft }) => targets.filter((target) => matches(target, draft)).map((t) => t.id))
        const now = new Date()

        const inserted = yield* sql<EventRow>`
          INSERT INTO events (id, tenant_id, sender_id, type, topics, payload, headers, idempotency_key, status,
            destination_count, traceparent, expires_at, created_at)
          SELECT x.id, ${tenantId}, x.sender_id, x.type, ARRAY(SELECT jsonb_array_elements_text(x.topics::jsonb)),
            x.payload::jsonb, x.headers::jsonb, x.idempotency_key,
            CASE WHEN x.destination_count = 0 THEN 'succeeded' ELSE 'pending' END,
            x.destination_count, x.traceparent,
            CASE WHEN x.ttl IS NULL THEN NULL ELSE ${now}::timestamptz + make_interval(secs => x.ttl) END,
            ${now}::timestamptz
          FROM unnest(
            ${unique.map(({ index }) => ids[index])}::text[],
            ${unique.map(({ draft }) => draft.senderId)}::text[],
            ${unique.map(({ draft }) => draft.type)}::text[],
            ${unique.map(({ draft }) => JSON.stringify(draft.topics))}::text[],
            ${unique.map(({ draft }) => draft.payloadJson)}::text[],
            ${unique.map(({ draft }) => JSON.stringify(draft.headers))}::text[],
            ${unique.map(({ draft }) => draft.idempotencyKey)}::text[],
            ${routes.map((route) => route.length)}::int[],
            ${unique.map(({ draft }) => draft.traceparent)}::text[],
            ${unique.map(({ draft }) => draft.ttlSeconds)}::int[]
          ) AS x(id, sender_id, type, topics, payload, headers, idempotency_key, destination_count, traceparent, ttl)
          ORDER BY x.id
          ON CONFLICT (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
          RETURNING *`
        const insertedIds = new Set(inserted.map((row) => row.id))

        // Keys that already existed resolve to the stored event.
        const existingKeys = unique.flatMap(({ draft, index }) =>
          !insertedIds.has(ids[index]) && draft.idempotencyKey !== null ? [draft.idempotencyKey] : []
        )
        const existing = existingKeys.length === 0 ? [] : yield* sql<EventRow>`
          SELECT * FROM events WHERE tenant_id = ${tenantId} AND idempotency_key = ANY(${existingKeys}::text[])`
        const existingByKey = new Map(existing.map((row) => [row.idempotency_key!, row.id]))

        const intents = unique.flatMap(({ draft, index }, u) =>
          insertedIds.has(ids[index])
            ? routes[u].map((destinationId) => ({ id: makeId.intent(), eventId: ids[index], destinationId, draft }))
            : []
        )
        // One Delivery span per intent under the ingest span; its attempts, in any process, are its children.
        const traceparents = yield* Effect.forEach(intents, (intent) =>
          deliverySpan({
            parent: intent.draft.traceparent,
            eventId: intent.eventId,
            eventType: intent.draft.type,
            destinationId: intent.destinationId,
            intentId: intent.id
          }))
        if (intents.length > 0) {
          yield* sql`
            INSERT INTO delivery_intents (id, tenant_id, event_id, destination_id, status, next_attempt_at, traceparent,
              created_at, updated_at)
            SELECT x.id, ${tenantId}, x.event_id, x.destination_id, 'pending', ${now}::timestamptz, x.traceparent,
              ${now}::timestamptz, ${now}::timestamptz
            FROM unnest(
              ${intents.map((i) => i.id)}::text[],
              ${intents.map((i) => i.eventId)}::text[],
              ${intents.map((i) => i.destinationId)}::text[],
              ${traceparents}::text[]
            ) AS x(id, event_id, destination_id, traceparent)
            JOIN events e ON e.id = x.event_id`
        }

        const finalIds = drafts.map((draft, index) => {
          const ownerIndex = owner[index]
          if (insertedIds.has(ids[ownerIndex])) return ids[ownerIndex]
          return existingByKey.get(draft.idempotencyKey!)!
        })
        // Every answered event is either just inserted or was read as an existing key: no re-read.
        const byId = new Map([...inserted, ...existing].map((row) => [row.id, row]))
        return {
          events: finalIds.map((id) => toEvent(byId.get(id)!)),
          destinations: new Set(intents.map((i) => i.destinationId)),
          intentCount: intents.length
        } satisfies IngestResult
      }))
    })

    const findById = Effect.fn("EventRepo.findById")(function*(tenantId: TenantId, id: EventId) {
      const rows = yield* findByIds(tenantId, [id])
      return Option.map(Option.fromNullable(rows[0]), toEvent)
    })

    const list = Effect.fn("EventRepo.list")(function*(tenantId: TenantId, params: ListEventsParams) {
      const window = seqWindow(sql, "e", params)
      const filters = and(sql, [
        sql`e.tenant_id = ${tenantId}`,
        window.where,
        params.eventTypes?.length ? sql`e.type = ANY(${params.eventTypes}::text[])` : undefined,
        params.topics?.length ? sql`e.topics && ${params.topics}::text[]` : undefined,
        params.senderIds?.length ? sql`e.sender_id = ANY(${params.senderIds}::text[])` : undefined,
        params.status?.length ? sql`e.status = ANY(${params.status}::text[])` : undefined,
        params.createdAfter ? sql`e.created_at >= ${DateTime.toDate(params.createdAfter)}` : undefined,
        params.createdBefore ? sql`e.created_at < ${DateTime.toDate(params.createdBefore)}` : undefined
      ])
      const rows = yield* sql<EventRow>`
        SELECT * FROM events e WHERE ${filters} ORDER BY ${window.orderBy} LIMIT ${window.limit}`
      return toPage(rows, params, toEvent)
    })

    return { ingest, findById, list } as const
  })
}) {}
