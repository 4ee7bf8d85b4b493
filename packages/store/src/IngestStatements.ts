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
 */
const ingestText = (keyed: boolean) => `
  WITH x AS MATERIALIZED (
    SELECT * FROM ROWS FROM (
      unnest(string_to_array($1, ' '), string_to_array($2, ' '), string_to_array($3, ' '), $4::text[], $5::text[],
        $6::text[], $7::text[], $8::int[], $9::int[], string_to_array($10, ' '), string_to_array($11, ' ')),
      jsonb_array_elements($12::jsonb), json_array_elements($13::json), jsonb_array_elements($14::jsonb)
    ) AS x(id, tenant_id, sender_id, type, idempotency_key, ordering_key, traceparent, ttl, destination_count,
      intent_ids, destination_ids, topics, payload, headers)
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
      ordering_key, created_at, updated_at)
    SELECT i.id, x.tenant_id, x.id, i.destination_id, 'pending', $15::timestamptz, x.traceparent, x.ordering_key,
      $15::timestamptz, $15::timestamptz
    FROM x ${keyed ? "JOIN inserted ON inserted.id = x.id" : ""}
    CROSS JOIN LATERAL unnest(string_to_array(x.intent_ids, ','), string_to_array(x.destination_ids, ','))
      AS i(id, destination_id)
    WHERE x.destination_count > 0
  )
  ${keyed ? "SELECT id FROM inserted" : "SELECT NULL::text AS id WHERE FALSE"}`

/**
 * Events without idempotency keys: nothing can conflict, so every event and intent is inserted (as
 * plain inserts: `ON CONFLICT` would make each a speculative one, with one more WAL record) and
 * nothing is returned. (An event's intent carries its trace context: its attempts, in any process,
 * join the publish's trace.)
 */
export const ingest = PreparedStatement.make<never>("signal_ingest", ingestText(false))

/**
 * Events of which some carry idempotency keys: a key the tenant already used inserts nothing, and
 * only the events inserted (their ids returned) fan out to intents.
 */
export const ingestKeyed = PreparedStatement.make<{ readonly id: string }>("signal_ingest_keyed", ingestText(true))
