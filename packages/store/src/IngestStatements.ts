import { DESTINATION_VERSION } from "./DestinationRepo"
import * as PreparedStatement from "./PreparedStatement"

/**
 * Events with the intents they fan out to, in one statement that commits on its own. Run by name:
 * parsing and planning its text cost Postgres ~300 µs per statement, more than inserting a single
 * event with its intent. Parameters, one element per event (ids never hold a space): $1 ids, $2 tenant
 * ids, $3 sender ids, space-separated; $4 types, $5 idempotency keys, $6 ordering keys, $7
 * traceparents as `text[]`; $8 ttl seconds, $9 destination counts as `int[]`; $10 intent ids and $11
 * their destinations, space-separated, each event's comma-joined; $12 topics, $13 payloads (as bytes,
 * `json`'s binary form), $14 headers as JSON arrays; then $15 now. Rows go in as the requests listed
 * them (their `seq` follows that order either way): sorting the events by id first cost Postgres a
 * sort of every payload in the statement.
 *
 * Intents a drain of this process adopts (`IntentAdoption`) are inserted leased: $16 says which, laid
 * out as $10 with `1` for each adopted intent and `0` for the others (null: none), $17 is their lease
 * owner and $18 the lease in seconds. $19 lists the adopted intents' destinations, space-separated:
 * the statement answers with their versions (`null`: deleted), read as it inserts, so that a change
 * committed before the event is seen with its intents as a claim would see it.
 */
const ingestText = (keyed: boolean) => `
  WITH x AS MATERIALIZED (
    SELECT * FROM ROWS FROM (
      unnest(string_to_array($1, ' '), string_to_array($2, ' '), string_to_array($3, ' '), $4::text[], $5::text[],
        $6::text[], $7::text[], $8::int[], $9::int[], string_to_array($10, ' '), string_to_array($11, ' '),
        string_to_array($16, ' ')),
      jsonb_array_elements($12::jsonb), json_array_elements($13::json), jsonb_array_elements($14::jsonb)
    ) AS x(id, tenant_id, sender_id, type, idempotency_key, ordering_key, traceparent, ttl, destination_count,
      intent_ids, destination_ids, leases, topics, payload, headers)
  ), inserted AS (
    INSERT INTO events (id, tenant_id, sender_id, type, topics, payload, headers, idempotency_key, ordering_key,
      status, destination_count, traceparent, expires_at, created_at)
    SELECT x.id, x.tenant_id, x.sender_id, x.type, ARRAY(SELECT jsonb_array_elements_text(x.topics)), x.payload,
      x.headers, x.idempotency_key, x.ordering_key,
      CASE WHEN x.destination_count = 0 THEN 'succeeded' ELSE 'pending' END,
      x.destination_count, x.traceparent,
      CASE WHEN x.ttl IS NULL THEN NULL ELSE $15::timestamptz + make_interval(secs => x.ttl) END,
      $15::timestamptz
    FROM x
    ${keyed ? "ON CONFLICT (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING RETURNING id" : ""}
  ), intents AS (
    INSERT INTO delivery_intents (id, tenant_id, event_id, destination_id, status, next_attempt_at, traceparent,
      ordering_key, created_at, updated_at, lease_owner, lease_until)
    SELECT i.id, x.tenant_id, x.id, i.destination_id, 'pending', $15::timestamptz, x.traceparent, x.ordering_key,
      $15::timestamptz, $15::timestamptz, CASE WHEN i.leased = '1' THEN $17::text END,
      CASE WHEN i.leased = '1' THEN $15::timestamptz + make_interval(secs => $18::float8) END
    FROM x ${keyed ? "JOIN inserted ON inserted.id = x.id" : ""}
    CROSS JOIN LATERAL unnest(string_to_array(x.intent_ids, ','), string_to_array(x.destination_ids, ','),
      string_to_array(x.leases, ',')) AS i(id, destination_id, leased)
    WHERE x.destination_count > 0
  )
  ${keyed ? "SELECT id, NULL AS version, false AS destination FROM inserted UNION ALL " : ""}SELECT id,
    ${adoptedVersion} AS version, true AS destination
  FROM destinations WHERE id = ANY(string_to_array($19, ' '))`

/** An adopted intent's destination's version as a claim reads it (`null`: deleted; never null otherwise). */
const adoptedVersion = `CASE WHEN deleted_at IS NULL THEN ${DESTINATION_VERSION} END`

/**
 * Events without idempotency keys: nothing can conflict, so every event and intent is inserted (as
 * plain inserts: `ON CONFLICT` would make each a speculative one, with one more WAL record) and
 * only the adopted intents' destinations' versions are returned. (An event's intent carries its
 * trace context: its attempts, in any process, join the publish's trace.)
 */
export const ingest = PreparedStatement.make<IngestRow>("signal_ingest", ingestText(false))

/**
 * Events of which some carry idempotency keys: a key the tenant already used inserts nothing, and
 * only the events inserted (their ids returned) fan out to intents.
 */
export const ingestKeyed = PreparedStatement.make<IngestRow>("signal_ingest_keyed", ingestText(true))

/** An inserted event's id, or (`destination`) an adopted intent's destination's id and version. */
export interface IngestRow {
  readonly id: string
  readonly version: string | null
  readonly destination: boolean
}
