import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"

/**
 * Recovery jobs (one row per asked-for recovery; at most one open per identical request, which is what
 * makes asking twice harmless) and per-tenant retention with the watermark up to which response bodies
 * are already dropped, so each pruning pass reads only attempts it has not seen.
 */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(`
    CREATE TABLE recovery_jobs (
      id text PRIMARY KEY,
      tenant_id text NOT NULL REFERENCES tenants(id),
      destination_id text NOT NULL REFERENCES destinations(id),
      request_key text NOT NULL,
      since timestamptz NOT NULL,
      until timestamptz NOT NULL,
      statuses text[] NOT NULL,
      state text NOT NULL DEFAULT 'queued',
      matched integer,
      requeued integer NOT NULL DEFAULT 0,
      cursor_at timestamptz,
      cursor_id text,
      lease_until timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      started_at timestamptz,
      finished_at timestamptz
    );
    CREATE UNIQUE INDEX recovery_jobs_open_request ON recovery_jobs (destination_id, request_key)
      WHERE state IN ('queued', 'running');
    CREATE INDEX recovery_jobs_open ON recovery_jobs (lease_until) WHERE state IN ('queued', 'running');

    ALTER TABLE tenants ADD COLUMN retention_days integer, ADD COLUMN response_body_retention_days integer,
      ADD COLUMN response_bodies_pruned_before timestamptz;
  `)
})
