import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(`
    CREATE TABLE tenants (
      id text PRIMARY KEY,
      identifier text NOT NULL UNIQUE,
      name text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE senders (
      id text PRIMARY KEY,
      identifier text NOT NULL UNIQUE,
      name text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE destinations (
      seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
      id text PRIMARY KEY,
      tenant_id text NOT NULL REFERENCES tenants(id),
      sender_id text REFERENCES senders(id),
      name text NOT NULL,
      description text,
      event_types text[],
      topics text[] NOT NULL DEFAULT '{}',
      url text NOT NULL,
      method text NOT NULL,
      headers jsonb NOT NULL DEFAULT '{}',
      timeout_ms integer NOT NULL,
      retry jsonb NOT NULL,
      max_concurrency integer NOT NULL,
      rate_limit integer,
      signing_secret text NOT NULL,
      previous_secrets jsonb NOT NULL DEFAULT '[]',
      status text NOT NULL DEFAULT 'active',
      disabled_reason text,
      circuit_state text NOT NULL DEFAULT 'closed',
      circuit_failures integer NOT NULL DEFAULT 0,
      circuit_opened_at timestamptz,
      failing_since timestamptz,
      deleted_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX destinations_tenant_seq ON destinations (tenant_id, seq) WHERE deleted_at IS NULL;

    CREATE TABLE events (
      seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
      id text PRIMARY KEY,
      tenant_id text NOT NULL REFERENCES tenants(id),
      sender_id text NOT NULL REFERENCES senders(id),
      type text NOT NULL,
      topics text[] NOT NULL DEFAULT '{}',
      payload jsonb NOT NULL,
      headers jsonb NOT NULL DEFAULT '{}',
      idempotency_key text,
      status text NOT NULL,
      destination_count integer NOT NULL,
      success_count integer NOT NULL DEFAULT 0,
      failure_count integer NOT NULL DEFAULT 0,
      traceparent text,
      expires_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE UNIQUE INDEX events_idempotency ON events (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
    CREATE INDEX events_tenant_seq ON events (tenant_id, seq);
    CREATE INDEX events_tenant_type ON events (tenant_id, type, seq);
    CREATE INDEX events_tenant_sender ON events (tenant_id, sender_id, seq);
    CREATE INDEX events_tenant_status ON events (tenant_id, status, seq);
    CREATE INDEX events_tenant_created ON events (tenant_id, created_at);
    CREATE INDEX events_topics ON events USING gin (topics);

    CREATE TABLE delivery_intents (
      seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
      id text PRIMARY KEY,
      tenant_id text NOT NULL,
      event_id text NOT NULL REFERENCES events(id),
      destination_id text NOT NULL REFERENCES destinations(id),
      status text NOT NULL DEFAULT 'pending',
      attempt_count integer NOT NULL DEFAULT 0,
      next_attempt_at timestamptz,
      last_attempt_at timestamptz,
      lease_until timestamptz,
      lease_owner text,
      error_code text,
      error_message text,
      traceparent text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX intents_due ON delivery_intents (destination_id, next_attempt_at)
      WHERE status IN ('pending', 'retrying');
    CREATE INDEX intents_tenant_seq ON delivery_intents (tenant_id, seq);
    CREATE INDEX intents_event ON delivery_intents (event_id);
    CREATE INDEX intents_destination_seq ON delivery_intents (destination_id, seq);
    CREATE INDEX intents_tenant_status ON delivery_intents (tenant_id, status, seq);

    CREATE TABLE delivery_attempts (
      seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
      id text PRIMARY KEY,
      tenant_id text NOT NULL,
      intent_id text NOT NULL REFERENCES delivery_intents(id),
      event_id text NOT NULL,
      destination_id text NOT NULL,
      attempt_number integer NOT NULL,
      status text NOT NULL,
      duration_ms integer NOT NULL,
      response_status integer,
      response_headers jsonb,
      response_body text,
      error_code text,
      error_message text,
      started_at timestamptz NOT NULL,
      completed_at timestamptz NOT NULL
    );
    CREATE INDEX attempts_tenant_seq ON delivery_attempts (tenant_id, seq);
    CREATE INDEX attempts_intent ON delivery_attempts (intent_id, attempt_number);
    CREATE INDEX attempts_event ON delivery_attempts (event_id);
    CREATE INDEX attempts_destination_seq ON delivery_attempts (destination_id, seq);
    CREATE INDEX attempts_tenant_status ON delivery_attempts (tenant_id, status, seq);
  `)
})
