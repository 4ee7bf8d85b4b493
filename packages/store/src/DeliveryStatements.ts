import type { DestinationId } from "@signal/domain/Ids"
import { DESTINATION_VERSION } from "./DestinationRepo"
import { eventStatusText } from "./EventStatusSql"
import * as PreparedStatement from "./PreparedStatement"

/**
 * A claim statement's row: one per claimed intent, or one with `id` null for a request that took
 * nothing; each carries its request's destination, that destination's version and next due time.
 */
export interface ClaimRow {
  readonly requested: DestinationId
  readonly destination_version: string | null
  readonly next_due_at: Date | null
  readonly id: string | null
  readonly tenant_id: string
  readonly event_id: string
  readonly attempt_count: number
  readonly traceparent: string | null
  readonly sender_id: string
  readonly type: string
  readonly topics: ReadonlyArray<string>
  readonly payload_json: string
  readonly headers: Record<string, string>
  /** ISO 8601 in UTC with milliseconds, as the API writes times: text, not a `Date` parsed per row. */
  readonly created_at: string
  readonly expires_at: Date | null
}

/**
 * The claim's common part: the requests (`r`: destination_id and what the statement's `due` and
 * `nextDue` read of them), `due` (id, event_id, next_attempt_at, seq, destination_id, max_bytes,
 * owner, one row per intent to lease, in due order per destination) loaded with its events, cut at
 * each request's payload bytes, leased until `now + lease` (`$now`, `$lease`), and answered per
 * request with the destination's version and when the work left falls due (`nextDue`, a scalar
 * subquery over `r` and `taken`, the ids each request leased: one small array per request, so the
 * look past them costs no scan of every request's claims). `about` is materialized so that those
 * subqueries run once per request, not once per claimed row. The destination is read by id alone:
 * with `deleted_at IS NULL` in its condition the planner could walk the partial index of the
 * tenant's live destinations instead, every one of them for each request.
 */
const claimFrom = (requests: string, due: string, nextDue: string, now: string, lease: string) => `
  WITH r AS (${requests}), due AS (${due}), loaded AS MATERIALIZED (
    SELECT due.*, e.sender_id, e.type, e.topics, e.payload::text AS payload_json, e.headers,
      to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at, e.expires_at
    FROM due JOIN events e ON e.id = due.event_id
  ), sized AS (
    SELECT loaded.*, sum(octet_length(payload_json)) OVER (PARTITION BY destination_id ORDER BY next_attempt_at, seq
      ROWS UNBOUNDED PRECEDING) - octet_length(payload_json) AS bytes_before
    FROM loaded
  ), claimed AS (
    UPDATE delivery_intents i
    SET lease_until = ${now} + make_interval(secs => ${lease}), lease_owner = sized.owner
    FROM sized
    WHERE i.id = sized.id AND sized.bytes_before < sized.max_bytes
    RETURNING i.id, i.tenant_id, i.event_id, i.destination_id, i.attempt_count, i.traceparent,
      sized.sender_id, sized.type, sized.topics, sized.payload_json, sized.headers, sized.created_at,
      sized.expires_at
  ), taken AS (
    SELECT destination_id, array_agg(id) AS ids FROM claimed GROUP BY destination_id
  ), about AS MATERIALIZED (
    SELECT r.destination_id,
      (SELECT CASE WHEN deleted_at IS NULL THEN ${DESTINATION_VERSION} END FROM destinations WHERE id = r.destination_id)
        AS destination_version,
      ${nextDue} AS next_due_at
    FROM r LEFT JOIN taken ON taken.destination_id = r.destination_id
  )
  SELECT about.destination_id AS requested, about.destination_version, about.next_due_at, claimed.id,
    claimed.tenant_id, claimed.event_id, claimed.attempt_count, claimed.traceparent, claimed.sender_id, claimed.type,
    claimed.topics, claimed.payload_json, claimed.headers, claimed.created_at, claimed.expires_at
  FROM about LEFT JOIN claimed ON claimed.destination_id = about.destination_id`

/**
 * Due intents of many destinations in due order, each request leaving the rest for its next claim.
 * Parameters, one element per request, space-separated: $1 destination id, $2 row limit, $3 payload
 * bytes, $4 lease owner, $5 held intent ids (comma-separated); then $6 now, $7 lease seconds.
 */
export const claimMany = PreparedStatement.make<ClaimRow>(
  "signal_claim_many",
  claimFrom(
    // one request holding nothing sends '' for $5, which string_to_array reads as no element at all
    `SELECT u.destination_id, u.lim, u.max_bytes, u.owner, coalesce(u.held, '') AS held
    FROM unnest(string_to_array($1, ' '), string_to_array($2, ' ')::bigint[], string_to_array($3, ' ')::bigint[],
      string_to_array($4, ' '), string_to_array($5, ' ')) AS u(destination_id, lim, max_bytes, owner, held)`,
    `SELECT d.id, d.event_id, d.next_attempt_at, d.seq, r.destination_id, r.max_bytes, r.owner
    FROM r CROSS JOIN LATERAL (
      SELECT id, event_id, next_attempt_at, seq FROM delivery_intents
      WHERE destination_id = r.destination_id AND status IN ('pending', 'retrying')
        AND next_attempt_at <= $6::timestamptz AND (lease_until IS NULL OR lease_until < $6::timestamptz)
        AND NOT (id = ANY(string_to_array(r.held, ',')))
      ORDER BY next_attempt_at, seq
      LIMIT r.lim
      FOR UPDATE SKIP LOCKED
    ) d`,
    `(SELECT n.next_attempt_at FROM delivery_intents n
      WHERE n.destination_id = r.destination_id AND n.status IN ('pending', 'retrying')
        AND (n.lease_until IS NULL OR n.lease_until < $6::timestamptz)
        AND NOT (n.id = ANY(string_to_array(r.held, ','))) AND NOT (n.id = ANY(coalesce(taken.ids, '{}')))
      ORDER BY n.next_attempt_at, n.seq
      LIMIT 1)`,
    "$6::timestamptz",
    "$7::float8"
  )
)

/**
 * The first open intent of each ordering key of `destination` (a parameter): in a FIFO destination
 * only these may be claimed, and the ones behind each wait for it.
 */
const keyHeads = (destination: string) => `
  SELECT DISTINCT ON (coalesce(ordering_key, '')) id, next_attempt_at, seq, lease_until FROM delivery_intents
  WHERE destination_id = ${destination} AND status IN ('pending', 'retrying')
  ORDER BY coalesce(ordering_key, ''), seq`

/**
 * The first open intent of each ordering key of one destination, when due and free; the ones behind
 * it wait for it (so no next due time is told). Parameters: $1 destination id, $2 now, $3 held intent
 * ids, $4 row limit, $5 lease seconds, $6 lease owner, $7 payload bytes.
 */
export const claimOrdered = PreparedStatement.make<ClaimRow>(
  "signal_claim_ordered",
  claimFrom(
    "SELECT $1::text AS destination_id",
    `SELECT i.id, i.event_id, i.next_attempt_at, i.seq, i.destination_id, $7::bigint AS max_bytes, $6::text AS owner
    FROM (${keyHeads("$1::text")}) head JOIN delivery_intents i ON i.id = head.id
    WHERE head.next_attempt_at <= $2::timestamptz AND (head.lease_until IS NULL OR head.lease_until < $2::timestamptz)
      AND NOT (i.id = ANY($3::text[]))
    ORDER BY head.next_attempt_at, head.seq
    LIMIT $4::bigint
    FOR UPDATE OF i SKIP LOCKED`,
    "NULL::timestamptz",
    "$2::timestamptz",
    "$5::float8"
  )
)

/**
 * Attempts, intents and event counters for a batch of outcomes, one element per outcome in each
 * parameter. Ids, numbers and statuses come space-separated in one string each and times as epoch
 * milliseconds, which the driver sends as they are (as array elements it escaped every one):
 * $1 attempt, $2 tenant, $3 intent, $4 event, $5 destination ids, $6 lease owners; $7 attempt numbers,
 * $8 durations (ms), $9 start and $10 completion times; $11 attempt and $12 intent statuses. JSON
 * arrays (with nulls): $13 response status codes, $14 next attempt times, $15 response headers.
 * Arrays: $16 response bodies, $17 error codes, $18 error messages.
 * Data-modifying CTEs run to completion whether or not anything reads them.
 * The intents are found by key (`id = ANY`), and their status is tested as `NOT IN` the final ones:
 * written as `IN` the open ones, it matched the partial indexes of open intents, which the planner
 * took for a handful of rows (their status has no statistics) and read whole, every open intent
 * for each statement (15–35 ms against a 15,000-intent backlog, for 32 outcomes).
 */
export const complete = PreparedStatement.make<never>(
  "signal_complete",
  `WITH x AS MATERIALIZED (
    SELECT * FROM ROWS FROM (
      unnest(string_to_array($1, ' '), string_to_array($2, ' '), string_to_array($3, ' '), string_to_array($4, ' '),
        string_to_array($5, ' '), string_to_array($6, ' '), string_to_array($7, ' ')::int[],
        string_to_array($8, ' ')::int[], string_to_array($9, ' ')::float8[], string_to_array($10, ' ')::float8[],
        string_to_array($11, ' '), string_to_array($12, ' '), $16::text[], $17::text[], $18::text[]),
      json_array_elements_text($13::json), json_array_elements_text($14::json), json_array_elements($15::json)
    ) AS x(id, tenant_id, intent_id, event_id, destination_id, lease_owner, attempt_number, duration_ms, started_ms,
      completed_ms, status, next_status, response_body, error_code, error_message, response_status, next_attempt_ms,
      response_headers)
  ), attempts AS (
    INSERT INTO delivery_attempts (id, tenant_id, intent_id, event_id, destination_id, attempt_number, status,
      duration_ms, response_status, response_headers, response_body, error_code, error_message, started_at,
      completed_at)
    SELECT x.id, x.tenant_id, x.intent_id, x.event_id, x.destination_id, x.attempt_number, x.status,
      x.duration_ms, x.response_status::int, nullif(x.response_headers::jsonb, 'null'), x.response_body, x.error_code,
      x.error_message, to_timestamp(x.started_ms / 1000), to_timestamp(x.completed_ms / 1000)
    FROM x
  ), updated AS (
    UPDATE delivery_intents i SET status = x.next_status,
      next_attempt_at = to_timestamp(x.next_attempt_ms::float8 / 1000),
      attempt_count = GREATEST(i.attempt_count, x.attempt_number), last_attempt_at = to_timestamp(x.completed_ms / 1000),
      error_code = x.error_code, error_message = x.error_message,
      lease_until = NULL, lease_owner = NULL, updated_at = now()
    FROM x WHERE i.id = x.intent_id AND i.id = ANY(string_to_array($3, ' '))
      AND i.status NOT IN ('succeeded', 'failed') AND i.lease_owner = x.lease_owner
    RETURNING i.event_id, i.status
  ), counts AS (
    SELECT event_id, count(*) FILTER (WHERE status = 'succeeded')::int AS succeeded,
      count(*) FILTER (WHERE status = 'failed')::int AS failed
    FROM updated GROUP BY event_id
  )
  UPDATE events e SET success_count = e.success_count + counts.succeeded,
    failure_count = e.failure_count + counts.failed,
    status = ${eventStatusText("e.success_count + counts.succeeded", "e.failure_count + counts.failed")}
  FROM counts WHERE e.id = counts.event_id AND counts.succeeded + counts.failed > 0`
)

/**
 * When a FIFO destination next has work nobody holds: the earliest due time among its key heads
 * whose lease is free. Parameters: $1 destination id, $2 now.
 */
export const nextOrderedDue = PreparedStatement.make<{ readonly at: Date | null }>(
  "signal_next_ordered_due",
  `SELECT min(head.next_attempt_at) AS at FROM (${keyHeads("$1::text")}) head
  WHERE head.lease_until IS NULL OR head.lease_until < $2::timestamptz`
)
