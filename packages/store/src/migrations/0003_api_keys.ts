import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"

/** Tenant API keys, stored as SHA-256 hashes; `prefix` is what lists show to tell keys apart. */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(`
    CREATE TABLE api_keys (
      seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
      id text PRIMARY KEY,
      tenant_id text NOT NULL REFERENCES tenants(id),
      name text NOT NULL,
      prefix text NOT NULL,
      key_hash text NOT NULL UNIQUE,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_used_at timestamptz,
      revoked_at timestamptz
    );
    CREATE INDEX api_keys_tenant_seq ON api_keys (tenant_id, seq);
  `)
})
