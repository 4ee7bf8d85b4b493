import type { DestinationId } from "@signal/domain/Ids"
import { DESTINATION_DELETED } from "./DeletedDestinationSql"
import { DESTINATION_VERSION } from "./DestinationRepo"
import { eventStatusText } from "./EventStatusSql"
import * as PreparedStatement from "./PreparedStatement"

/**
 * A claim statement's row: one per request, with `id` null, carrying that request's destination, its
 * version and next due time, and one per claimed intent, with the destination it was claimed for.
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
 * A CTE that makes the statement's transaction commit without waiting for its WAL to reach disk
 * (`synchronous_commit` off for that transaction alone), for writes that only lease: a lease lost
 * with the last moments of a Postgres crash makes its intent claimable again (a duplicate at worst,
 * never a lost delivery, and the lapsed holder's outcome then changes nothing), while waiting for
 * the flush put one more disk sync between every publish and its delivery. The next synchronous
 * commit (an outcome's) flushes it anyway. Evaluated only where the statement reads it.
 */
export const leaseCommit = "lease_commit AS (SELECT set_config('synchronous_commit', 'off', true) AS setting)"

/**
 * The claim's common part: the requests (`r`: destination_id and what the statement's `due` and
 * `nextDue` read of them), `due` (id, event_id, next_attempt_at, seq, destination_id, max_bytes,
 * owner, one row per intent to lease, in due order per destination) loaded with its events, cut at
 * each request's payload bytes, leased until `now + lease` (`$now`, `$lease`), and answered per
 * request with the destination's version and when the work left falls due (`nextDue`, a scalar
 * subquery over `r` and `taken`, the ids each request leased: one small array per request, so the
 * look past them costs no scan of every request's claims); the statement commits as a lease
 * (`leaseCommit`). The destination is read by id alone: with `deleted_at IS NULL` in its condition
 * the planner could walk the partial index of the tenant's live destinations instead, every one of
 * them for each request.
 *
 * Planned once per connection: planning it took Postgres three times as long as running it (~1 ms
 * against ~0.3 ms for one destination). A prepared statement keeps a generic plan only when that
 * plan's estimated cost is no higher than its custom plans', and a generic plan takes an array of
 * unknown length for 10 elements, where the requests are one or two at light load: so `r` is cut at
 * its own length, a limit a generic plan reads as a tenth of its input (one request). Nothing after
 * `r` depends on that estimate being right: each request's intents are read by index (`due`), each
 * claimed row's event and intent by key, `taken` is aggregated once, and the answer is the requests'
 * rows and the claimed ones appended rather than a join of the two (joined by nested loop, as one
 * estimated request suggests, 64 requests cost 64,000 comparisons).
 */
const claimFrom = (requests: string, due: string, nextDue: string, now: string, lease: string) => `
  WITH ${leaseCommit}, r AS (${requests}), due AS (${due}), loaded AS MATERIALIZED (
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
  ), taken AS MATERIALIZED (
    SELECT destination_id, array_agg(id) AS ids FROM claimed GROUP BY destination_id
  )
  SELECT r.destination_id AS requested,
    (SELECT CASE WHEN deleted_at IS NULL THEN ${DESTINATION_VERSION} END FROM destinations WHERE id = r.destination_id)
      AS destination_version,
    ${nextDue} AS next_due_at, NULL AS id, NULL AS tenant_id, NULL AS event_id, NULL AS attempt_count,
    NULL AS traceparent, NULL AS sender_id, NULL AS type, NULL AS topics, NULL AS payload_json, NULL AS headers,
    NULL AS created_at, NULL AS expires_at
  FROM r CROSS JOIN lease_commit LEFT JOIN taken ON taken.destination_id = r.destination_id
  UNION ALL
  SELECT destination_id, NULL, NULL, id, tenant_id, event_id, attempt_count, traceparent, sender_id, type, topics,
    payload_json, headers, created_at, expires_at
  FROM claimed`

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
      string_to_array($4, ' '), string_to_array($5, ' ')) AS u(destination_id, lim, max_bytes, owner, held)
    LIMIT array_length(string_to_array($1, ' '), 1)`,
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
 * only these may be claimed, and the ones behind each wait for it. One descent of
 * `intents_ordered_heads` per key, each starting past the key before: `DISTINCT ON` read every open
 * intent of the destination to keep one per key, 89 ms per claim behind a 50,000-intent backlog.
 */
const keyHeads = (destination: string) => `
  WITH RECURSIVE heads AS (
    (SELECT coalesce(ordering_key, '') AS key, id, next_attempt_at, seq, lease_until FROM delivery_intents
    WHERE destination_id = ${destination} AND status IN ('pending', 'retrying')
    ORDER BY coalesce(ordering_key, ''), seq
    LIMIT 1)
    UNION ALL
    SELECT following.* FROM heads CROSS JOIN LATERAL (
      SELECT coalesce(ordering_key, '') AS key, id, next_attempt_at, seq, lease_until FROM delivery_intents
      WHERE destination_id = ${destination} AND status IN ('pending', 'retrying')
        AND coalesce(ordering_key, '') > heads.key
      ORDER BY coalesce(ordering_key, ''), seq
      LIMIT 1
    ) following
  )
  SELECT id, next_attempt_at, seq, lease_until FROM heads`

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
 * An outcome that would retry an intent of a destination deleted while its attempt was out ends it
 * failed, as the delete ended the intents that were not out: nothing would deliver the retry.
 * Successes and final failures never read the destination.
 * The intents are found by key (`id = ANY`), and their status is tested as `NOT IN` the final ones:
 * written as `IN` the open ones, it matched the partial indexes of open intents, which the planner
 * took for a handful of rows (their status has no statistics) and read whole, every open intent
 * for each statement (15–35 ms against a 15,000-intent backlog, for 32 outcomes).
 */
export const complete = PreparedStatement.make<never>(
  "signal_complete",
  `WITH x AS MATERIALIZED (
    SELECT u.*, CASE WHEN u.next_status = 'retrying'
        THEN EXISTS (SELECT FROM destinations d WHERE d.id = u.destination_id AND d.deleted_at IS NOT NULL)
        ELSE false END AS destination_deleted
    FROM ROWS FROM (
      unnest(string_to_array($1, ' '), string_to_array($2, ' '), string_to_array($3, ' '), string_to_array($4, ' '),
        string_to_array($5, ' '), string_to_array($6, ' '), string_to_array($7, ' ')::int[],
        string_to_array($8, ' ')::int[], string_to_array($9, ' ')::float8[], string_to_array($10, ' ')::float8[],
        string_to_array($11, ' '), string_to_array($12, ' '), $16::text[], $17::text[], $18::text[]),
      json_array_elements_text($13::json), json_array_elements_text($14::json), json_array_elements($15::json)
    ) AS u(id, tenant_id, intent_id, event_id, destination_id, lease_owner, attempt_number, duration_ms, started_ms,
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
    UPDATE delivery_intents i
    SET status = CASE WHEN x.next_status = 'expired' OR x.destination_deleted THEN 'failed' ELSE x.next_status END,
      next_attempt_at = CASE WHEN x.destination_deleted THEN NULL ELSE to_timestamp(x.next_attempt_ms::float8 / 1000) END,
      attempt_count = GREATEST(i.attempt_count, x.attempt_number), last_attempt_at = to_timestamp(x.completed_ms / 1000),
      error_code = CASE WHEN x.next_status = 'expired' THEN 'expired'
        WHEN x.destination_deleted THEN '${DESTINATION_DELETED.code}' ELSE x.error_code END,
      error_message = CASE WHEN x.next_status = 'expired' THEN 'the event''s ttl ends before its next attempt'
        WHEN x.destination_deleted THEN '${DESTINATION_DELETED.message}' ELSE x.error_message END,
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
