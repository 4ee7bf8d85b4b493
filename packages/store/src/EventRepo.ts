import * as SqlClient from "@effect/sql/SqlClient"
import { Event, type EventStatus, type ListEventsParams } from "@signal/domain/Event"
import { type DestinationId, type EventId, type IntentId, makeId, type SenderId, type TenantId } from "@signal/domain/Ids"
import type { RoutableEvent, RoutingTable } from "@signal/domain/Routing"
import { DateTime, Effect, Option, Schema } from "effect"
import * as Database from "./Database"
import type { ClaimedIntent } from "./DeliveryQueue"
import { DestinationRepo } from "./DestinationRepo"
import * as IngestStatements from "./IngestStatements"
import type { AdoptedIntents, IntentAdoption } from "./IntentAdoption"
import { intentParameters } from "./IntentParameters"
import { jsonArrayBytes } from "./JsonArrayBytes"
import { and, seqWindow, toPage, utc, utcOrNull } from "./Paging"
import { spaceSeparated } from "./SpaceSeparated"
import { withinWindow } from "./TimeWindow"

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
  readonly ordering_key: string | null
  readonly status: EventStatus
  readonly destination_count: number
  readonly success_count: number
  readonly failure_count: number
  readonly expires_at: Date | null
  readonly created_at: Date
}

/** Rows are what ingest validated and Postgres typed: built without validating them again. */
const toEvent = (row: EventRow) =>
  new Event({
    id: row.id as EventId,
    tenantId: row.tenant_id as TenantId,
    senderId: row.sender_id as SenderId,
    type: row.type,
    topics: row.topics,
    payload: row.payload,
    headers: row.headers,
    idempotencyKey: row.idempotency_key,
    orderingKey: row.ordering_key,
    status: row.status,
    destinationCount: row.destination_count,
    successCount: row.success_count,
    failureCount: row.failure_count,
    expiresAt: utcOrNull(row.expires_at),
    createdAt: utc(row.created_at)
  }, true)

/** A stored event as the API answers it (idempotent repeats: rare, so through the schema). */
const encodeEvent = Schema.encodeSync(Event)
const toEventJson = (row: EventRow) => JSON.stringify(encodeEvent(toEvent(row)))

/** An accepted event before it is stored: payload already validated JSON text. */
export interface EventDraft extends RoutableEvent {
  readonly payloadJson: string
  readonly headers: Record<string, string>
  readonly idempotencyKey: string | null
  readonly orderingKey: string | null
  readonly ttlSeconds: number | null
}

export interface IngestResult {
  /** The request's events in its order, as the JSON the API answers with. */
  readonly events: ReadonlyArray<string>
  /** Destinations that received new intents not adopted: each needs a wake after commit. */
  readonly destinations: ReadonlySet<DestinationId>
  readonly intentCount: number
  /** New intents leased to this process's drains (`IntentAdoption`): handed to them after commit. */
  readonly adopted: ReadonlyArray<AdoptedIntents>
}

const noneAdopted: ReadonlyArray<AdoptedIntents> = []
const noVersions: ReadonlyMap<string, string | null> = new Map()

/** The events of one request. */
export interface IngestRequest {
  readonly tenantId: TenantId
  readonly drafts: ReadonlyArray<EventDraft>
  /** The publish's trace context, carried by its events and their intents. */
  readonly traceparent: string | null
}

export class EventRepo extends Effect.Service<EventRepo>()("@signal/store/EventRepo", {
  dependencies: [DestinationRepo.Default],
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const destinations = yield* DestinationRepo
    const ingestDb = yield* Database.ingestClient

    const findByIds = (tenantId: TenantId, ids: ReadonlyArray<string>) =>
      sql<EventRow>`SELECT * FROM events WHERE tenant_id = ${tenantId} AND id = ANY(${ids}::text[])`

    /**
     * Fan-out at ingest, in ONE statement (`IngestStatements`): events, then one intent per matching
     * destination, whatever the number of events. Takes the events of several requests (of any
     * tenants) at once, so publishes that arrive together share one commit. With `adoption`, the
     * intents its drains have room for are inserted leased to them (`IntentAdoption`).
     */
    const ingestAll = (requests: ReadonlyArray<IngestRequest>, adoption?: IntentAdoption) =>
      Effect.gen(function*() {
        const targetsByTenant = new Map<TenantId, RoutingTable>()
        for (const { tenantId } of requests) {
          if (!targetsByTenant.has(tenantId)) targetsByTenant.set(tenantId, yield* destinations.routingTargets(tenantId))
        }
        // Every event of every request, in order, as parallel arrays: a batch of 1,000 allocates per
        // column, not per event (garbage collection was a quarter of a batch's CPU).
        const tenantOf: Array<TenantId> = []
        const draftOf: Array<EventDraft> = []
        const traceOf: Array<string | null> = []
        for (const { drafts, tenantId, traceparent } of requests) {
          for (const draft of drafts) {
            tenantOf.push(tenantId)
            draftOf.push(draft)
            traceOf.push(traceparent)
          }
        }
        const count = draftOf.length
        // Within one statement the first use of a tenant's idempotency key wins; later ones answer with it.
        const keyOf = (tenantId: TenantId, key: string) => `${tenantId}\u0000${key}`
        const firstByKey = new Map<string, number>()
        /** The event each one answers with: itself, or the first in this statement with its key. */
        const owner: Array<number> = new Array(count)
        /** Indexes of the events to insert (first uses of keys and events without one), ascending. */
        const unique: Array<number> = []
        /** Per event to insert, its new id and the destinations it routes to. */
        const ids: Array<string> = new Array(count)
        const routes: Array<ReadonlyArray<DestinationId>> = new Array(count)
        for (let index = 0; index < count; index++) {
          const draft = draftOf[index]
          if (draft.idempotencyKey !== null) {
            const key = keyOf(tenantOf[index], draft.idempotencyKey)
            const first = firstByKey.get(key)
            if (first !== undefined) {
              owner[index] = first
              continue
            }
            firstByKey.set(key, index)
          }
          owner[index] = index
          unique.push(index)
          ids[index] = makeId.event()
          routes[index] = targetsByTenant.get(tenantOf[index])!.route(draft)
        }
        const now = new Date()

        /** Per event with adopted intents: their routes, in order, then (once made) their ids. */
        const adoptedRoutes: Array<Array<number> | undefined> = []
        const adoptedIds: Array<ReadonlyArray<string> | undefined> = []
        /** Per destination asked, how many more fresh intents its drain takes. */
        const roomLeft = new Map<DestinationId, number>()
        const adoptedDestinations = new Set<DestinationId>()
        const leased = adoption === undefined ? undefined : (u: number, r: number) => {
          const destinationId = routes[unique[u]][r]
          const room = roomLeft.get(destinationId) ?? adoption.room(destinationId)
          roomLeft.set(destinationId, Math.max(0, room - 1))
          if (room <= 0) return false
          adoptedDestinations.add(destinationId)
          ;(adoptedRoutes[unique[u]] ??= []).push(r)
          return true
        }
        const intents = intentParameters(unique.length, (u) => routes[unique[u]], leased)
        // `leased` chose them in event and route order, as `leasedIds` lists them
        let nextLeased = 0
        for (let u = 0; nextLeased < intents.leasedIds.length; u++) {
          const count = adoptedRoutes[unique[u]]?.length ?? 0
          if (count > 0) adoptedIds[unique[u]] = intents.leasedIds.slice(nextLeased, nextLeased += count)
        }

        /**
         * The statement's parameters: one element per event to insert in each column, with the intents
         * each fans out to (their new ids and destinations, `IntentParameters`: ids hold neither commas
         * nor spaces). Ids go as space-separated strings, payloads, headers and topics as JSON arrays
         * (the payloads' text joined as it came, as bytes: `json`'s binary form is its text): as
         * `text[]` elements every one went through the driver's array escaping, a tenth of a batching
         * gateway's CPU, and Postgres reads them faster.
         */
        const values = (() => {
          const column = <A>(f: (index: number) => A) => {
            const values: Array<A> = new Array(unique.length)
            for (let u = 0; u < unique.length; u++) values[u] = f(unique[u])
            return values
          }
          const idList = (f: (index: number) => string) => spaceSeparated(unique.length, (u) => f(unique[u]))
          return [
            idList((i) => ids[i]),
            idList((i) => tenantOf[i]),
            idList((i) => draftOf[i].senderId),
            column((i) => draftOf[i].type),
            column((i) => draftOf[i].idempotencyKey),
            column((i) => draftOf[i].orderingKey),
            column((i) => traceOf[i]),
            column((i) => draftOf[i].ttlSeconds),
            column((i) => routes[i].length),
            intents.intentIds,
            intents.destinationIds,
            JSON.stringify(column((i) => draftOf[i].topics)),
            jsonArrayBytes(unique.length, (u) => draftOf[unique[u]].payloadJson),
            JSON.stringify(column((i) => draftOf[i].headers)),
            now,
            intents.leases,
            adoption?.owner ?? null,
            (adoption?.leaseMs ?? 0) / 1000,
            [...adoptedDestinations].join(" ")
          ]
        })()

        /**
         * An inserted event's answer, written directly from what was inserted: the JSON the `Event` schema
         * encodes (fields in its order, times as ISO strings), without reading rows back or encoding them.
         */
        const createdAt = now.toISOString()
        const expiresAt = (ttlSeconds: number) => new Date(now.getTime() + ttlSeconds * 1000)
        const insertedJson = (index: number) => {
          const draft = draftOf[index]
          const destinationCount = routes[index].length
          return `{"id":${JSON.stringify(ids[index])},"tenantId":${JSON.stringify(tenantOf[index])},"senderId":${
            JSON.stringify(draft.senderId)
          },"type":${JSON.stringify(draft.type)},"topics":${JSON.stringify(draft.topics)},"payload":${draft.payloadJson},"headers":${
            JSON.stringify(draft.headers)
          },"idempotencyKey":${JSON.stringify(draft.idempotencyKey)},"orderingKey":${JSON.stringify(draft.orderingKey)},"status":"${
            destinationCount === 0 ? "succeeded" : "pending"
          }","destinationCount":${destinationCount},"successCount":0,"failureCount":0,"expiresAt":${
            draft.ttlSeconds === null ? "null" : `"${expiresAt(draft.ttlSeconds).toISOString()}"`
          },"createdAt":"${createdAt}"}`
        }
        /** An adopted intent as a claim would have given it to its drain. */
        const adoptedIntent = (index: number, destinationId: DestinationId, intentId: string): ClaimedIntent => {
          const draft = draftOf[index]
          return {
            intentId: intentId as IntentId,
            tenantId: tenantOf[index],
            eventId: ids[index],
            destinationId,
            attemptNumber: 1,
            leaseOwner: adoption!.owner,
            traceparent: traceOf[index],
            event: {
              senderId: draft.senderId,
              type: draft.type,
              topics: draft.topics,
              payloadJson: draft.payloadJson,
              headers: draft.headers,
              createdAt,
              expiresAt: draft.ttlSeconds === null ? null : expiresAt(draft.ttlSeconds)
            }
          }
        }

        /**
         * Per request: its events (in its order), the destinations its new intents went to that were not
         * adopted, their number, and the adopted ones by destination (versions from `versions`).
         */
        const answer = (
          jsonOf: (index: number) => string,
          inserted: (index: number) => boolean,
          versions: ReadonlyMap<string, string | null>
        ) => {
          let from = 0
          return requests.map(({ drafts }): IngestResult => {
            const events: Array<string> = new Array(drafts.length)
            const destinations = new Set<DestinationId>()
            let adopted: Map<DestinationId, Array<ClaimedIntent>> | undefined
            let intentCount = 0
            for (let i = 0; i < drafts.length; i++) {
              const index = from + i
              events[i] = jsonOf(index)
              // intents are made only for first uses of keys, which are the requesting events themselves
              if (owner[index] !== index || !inserted(index)) continue
              const eventRoutes = routes[index]
              const leasedRoutes = adoptedRoutes[index]
              if (leasedRoutes === undefined) {
                for (const destinationId of eventRoutes) destinations.add(destinationId)
              } else {
                for (let r = 0, l = 0; r < eventRoutes.length; r++) {
                  if (leasedRoutes[l] !== r) {
                    destinations.add(eventRoutes[r])
                    continue
                  }
                  const intent = adoptedIntent(index, eventRoutes[r], adoptedIds[index]![l++])
                  const forDestination = (adopted ??= new Map()).get(intent.destinationId)
                  if (forDestination === undefined) adopted.set(intent.destinationId, [intent])
                  else forDestination.push(intent)
                }
              }
              intentCount += eventRoutes.length
            }
            from += drafts.length
            return {
              events,
              destinations,
              intentCount,
              adopted: adopted === undefined
                ? noneAdopted
                : Array.from(adopted, ([destinationId, intents]) => ({
                  destinationId,
                  version: versions.get(destinationId) ?? null,
                  intents
                }))
            }
          })
        }
        /** The adopted intents' destinations' versions, from the statement's rows. */
        const versionsOf = (rows: ReadonlyArray<IngestStatements.IngestRow>) => {
          const versions = new Map<string, string | null>()
          for (const row of rows) if (row.destination) versions.set(row.id, row.version)
          return versions
        }

        if (firstByKey.size === 0) {
          const inserting = yield* IngestStatements.ingest.start(ingestDb.pool, values)
          // Nothing can conflict: the answers are known before the commit, and written while it runs.
          if (adoptedDestinations.size === 0) {
            const results = answer(insertedJson, () => true, noVersions)
            yield* inserting
            return results
          }
          return answer(insertedJson, () => true, versionsOf(yield* inserting))
        }

        const rows = yield* IngestStatements.ingestKeyed.run(ingestDb.pool, values)
        const insertedIds = new Set<string>()
        for (const row of rows) if (!row.destination) insertedIds.add(row.id)

        // Keys the tenant had already used resolve to the stored event, committed before ours conflicted with it.
        const existingKeys = unique.filter((index) => !insertedIds.has(ids[index]) && draftOf[index].idempotencyKey !== null)
        const existing = existingKeys.length === 0 ? [] : yield* ingestDb.sql<EventRow>`
          SELECT e.* FROM events e
          JOIN unnest(
            ${existingKeys.map((index) => tenantOf[index])}::text[],
            ${existingKeys.map((index) => draftOf[index].idempotencyKey)}::text[]
          ) AS k(tenant_id, idempotency_key) ON e.tenant_id = k.tenant_id AND e.idempotency_key = k.idempotency_key`
        const existingByKey = new Map(existing.map((row) => [keyOf(row.tenant_id as TenantId, row.idempotency_key!), row]))

        // Every answered event is either just inserted or was read as an existing key: no re-read.
        return answer((index) => {
          if (insertedIds.has(ids[owner[index]])) return insertedJson(owner[index])
          return toEventJson(existingByKey.get(keyOf(tenantOf[index], draftOf[index].idempotencyKey!))!)
        }, (index) => insertedIds.has(ids[index]), versionsOf(rows))
      }).pipe(Effect.withSpan("EventRepo.ingest", {
        captureStackTrace: false,
        attributes: { "signal.requests": requests.length }
      }))

    const ingest = (request: IngestRequest, adoption?: IntentAdoption) =>
      Effect.map(ingestAll([request], adoption), (results) => results[0])

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
        // the topics' index holds only events with topics: said outright so that the planner may use it
        params.topics?.length ? sql`e.topics && ${params.topics}::text[] AND e.topics <> '{}'` : undefined,
        params.senderIds?.length ? sql`e.sender_id = ANY(${params.senderIds}::text[])` : undefined,
        params.status?.length ? sql`e.status = ANY(${params.status}::text[])` : undefined,
        params.createdAfter || params.createdBefore
          ? withinWindow(
            sql,
            "e",
            { table: "events", column: "tenant_id", id: tenantId, time: "created_at" },
            params.createdAfter ? DateTime.toDate(params.createdAfter) : undefined,
            params.createdBefore ? DateTime.toDate(params.createdBefore) : undefined
          )
          : undefined
      ])
      const rows = yield* sql<EventRow>`
        SELECT * FROM events e WHERE ${filters} ORDER BY ${window.orderBy} LIMIT ${window.limit}`
      return toPage(rows, params, toEvent)
    })

    return { ingest, ingestAll, findById, list } as const
  })
}) {}
