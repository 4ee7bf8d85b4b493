/**
 * The job-queue baseline, as a team would roll its own webhook delivery on graphile-worker: events,
 * deliveries and jobs written in one transaction per batch; a task that reads its delivery, signs
 * the body (Standard Webhooks), POSTs it with undici and records the attempt and the delivery's
 * status. Run as its own process by bench/delivery.ts; IPC: `{ ready: true }`, then a batch of
 * `{ events: [...] }` messages to publish, answered with `{ published }`.
 */
import pg from "pg"
import { Agent } from "undici"
import { Logger, run, runMigrations } from "graphile-worker"
import { postSigned } from "./signedPost"

const connectionString = process.env.DATABASE_URL!
const receiverUrl = process.env.RECEIVER_URL!
const concurrency = Number(process.env.CONCURRENCY ?? 64)
const agent = new Agent({ keepAliveTimeout: 4_000, connections: concurrency })

const pool = new pg.Pool({ connectionString, max: 8 })
await pool.query(`
  CREATE TABLE IF NOT EXISTS bench_events (id text PRIMARY KEY, type text NOT NULL, payload jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now());
  CREATE TABLE IF NOT EXISTS bench_deliveries (id text PRIMARY KEY, event_id text NOT NULL REFERENCES bench_events(id),
    url text NOT NULL, status text NOT NULL DEFAULT 'pending', attempts int NOT NULL DEFAULT 0);
  CREATE TABLE IF NOT EXISTS bench_attempts (id bigserial PRIMARY KEY, delivery_id text NOT NULL REFERENCES bench_deliveries(id),
    status_code int, duration_ms int NOT NULL, created_at timestamptz NOT NULL DEFAULT now());`)
await runMigrations({ connectionString })

// Tuned as its documentation suggests for throughput: jobs fetched and completed in batches, no
// log line per job.
const runner = await run({
  connectionString,
  concurrency,
  noHandleSignals: true,
  pollInterval: 200,
  logger: new Logger(() => () => {}),
  preset: {
    worker: {
      localQueue: { size: 500 },
      completeJobBatchDelay: 0
    }
  },
  taskList: {
    deliver: async (payload, helpers) => {
      const { deliveryId } = payload as { deliveryId: string }
      const { rows } = await helpers.withPgClient((client) =>
        client.query<{ url: string; event_id: string; type: string; payload: string }>(
          `SELECT d.url, e.id AS event_id, e.type, e.payload::text AS payload
           FROM bench_deliveries d JOIN bench_events e ON e.id = d.event_id WHERE d.id = $1`,
          [deliveryId]
        )
      )
      const delivery = rows[0]!
      const body = `{"id":${JSON.stringify(delivery.event_id)},"type":${JSON.stringify(delivery.type)},"payload":${delivery.payload}}`
      const started = Date.now()
      const statusCode = await postSigned(agent, delivery.url, deliveryId, body)
      const ok = statusCode >= 200 && statusCode < 300
      await helpers.withPgClient((client) =>
        client.query(
          `WITH attempt AS (INSERT INTO bench_attempts (delivery_id, status_code, duration_ms) VALUES ($1, $2, $3))
           UPDATE bench_deliveries SET status = $4, attempts = attempts + 1 WHERE id = $1`,
          [deliveryId, statusCode, Date.now() - started, ok ? "succeeded" : "retrying"]
        )
      )
      if (!ok) throw new Error(`receiver answered ${statusCode}`)
    }
  }
})

/** Events, their deliveries and their jobs in one transaction, as one statement each. */
const publish = async (events: ReadonlyArray<{ readonly id: string; readonly type: string; readonly payload: unknown }>) => {
  const client = await pool.connect()
  try {
    await client.query("BEGIN")
    await client.query(
      `INSERT INTO bench_events (id, type, payload) SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[])`,
      [events.map((e) => e.id), events.map((e) => e.type), events.map((e) => JSON.stringify(e.payload))]
    )
    const deliveryIds = events.map((e) => `del_${e.id}`)
    await client.query(
      `INSERT INTO bench_deliveries (id, event_id, url) SELECT x.id, x.event_id, $3 FROM unnest($1::text[], $2::text[]) AS x(id, event_id)`,
      [deliveryIds, events.map((e) => e.id), receiverUrl]
    )
    await client.query(
      `SELECT count(*) FROM graphile_worker.add_jobs((
         SELECT array_agg(('deliver', json_build_object('deliveryId', id), null, null, 25, null, null, null)::graphile_worker.job_spec)
         FROM unnest($1::text[]) AS id))`,
      [deliveryIds]
    )
    await client.query("COMMIT")
  } catch (error) {
    await client.query("ROLLBACK")
    throw error
  } finally {
    client.release()
  }
}

process.on("message", (message: { events: ReadonlyArray<{ id: string; type: string; payload: unknown }> }) => {
  publish(message.events).then(
    () => process.send!({ published: message.events.length }),
    (error) => process.send!({ error: String(error) })
  )
})
process.on("disconnect", () => {
  void runner.stop().finally(() => pool.end()).finally(() => process.exit(0))
})
process.send!({ ready: true })
