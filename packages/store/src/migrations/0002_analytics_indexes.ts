import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"

/**
 * Time-window lookups for delivery analytics (per tenant and per destination) and the open-intent
 * partial index that keeps the database-wide queue depth gauges an index-only count.
 */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(`
    CREATE INDEX intents_tenant_created ON delivery_intents (tenant_id, created_at);
    CREATE INDEX intents_destination_created ON delivery_intents (destination_id, created_at);
    CREATE INDEX intents_open_status ON delivery_intents (status) WHERE status IN ('pending', 'retrying');
    CREATE INDEX attempts_tenant_started ON delivery_attempts (tenant_id, started_at);
    CREATE INDEX attempts_destination_started ON delivery_attempts (destination_id, started_at);
  `)
})
