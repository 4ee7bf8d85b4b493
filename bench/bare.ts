/**
 * The yardstick for ingest: a bare `node:http` server that, per request, writes the event and one
 * delivery intent in one `pg` transaction and answers 201 with the stored event. Same tables and
 * indexes as Signal's events and intents, no validation, auth, routing or tracing. Run as its own
 * process: `DATABASE_URL=… PORT=… node --import tsx/esm bench/bare.ts`; reports `{ port }` over IPC.
 */
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { randomUUID } from "node:crypto"
import pg from "pg"

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 20 })

await pool.query(`
  CREATE TABLE IF NOT EXISTS events (
    seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    id text PRIMARY KEY,
    tenant_id text NOT NULL,
    sender_id text NOT NULL,
    type text NOT NULL,
    topics text[] NOT NULL DEFAULT '{}',
    payload jsonb NOT NULL,
    headers jsonb NOT NULL DEFAULT '{}',
    status text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
  );
  CREATE INDEX IF NOT EXISTS events_tenant_seq ON events (tenant_id, seq);
  CREATE INDEX IF NOT EXISTS events_tenant_type ON events (tenant_id, type, seq);
  CREATE TABLE IF NOT EXISTS delivery_intents (
    seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    id text PRIMARY KEY,
    event_id text NOT NULL REFERENCES events(id),
    destination_id text NOT NULL,
    status text NOT NULL DEFAULT 'pending',
    next_attempt_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
  );
  CREATE INDEX IF NOT EXISTS intents_due ON delivery_intents (destination_id, next_attempt_at)
    WHERE status IN ('pending', 'retrying');
  CREATE INDEX IF NOT EXISTS intents_event ON delivery_intents (event_id);
`)

const tenantOf = (url: string) => url.split("/")[3] ?? ""

const server = createServer((req, res) => {
  const chunks: Array<Buffer> = []
  req.on("data", (chunk: Buffer) => chunks.push(chunk))
  req.on("end", async () => {
    const client = await pool.connect()
    try {
      const input = JSON.parse(Buffer.concat(chunks).toString("utf8"))
      const id = `evt_${randomUUID().replace(/-/g, "")}`
      await client.query("BEGIN")
      const { rows } = await client.query(
        `INSERT INTO events (id, tenant_id, sender_id, type, topics, payload, headers, status)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending') RETURNING *`,
        [id, tenantOf(req.url ?? ""), input.senderId, input.eventType, input.topics ?? [], input.payload, input.headers ?? {}]
      )
      await client.query(
        `INSERT INTO delivery_intents (id, event_id, destination_id, next_attempt_at) VALUES ($1, $2, $3, now())`,
        [`int_${randomUUID().replace(/-/g, "")}`, id, "dst_bare"]
      )
      await client.query("COMMIT")
      res.writeHead(201, { "content-type": "application/json" })
      res.end(JSON.stringify(rows[0]))
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined)
      res.writeHead(500)
      res.end(String(error))
    } finally {
      client.release()
    }
  })
})
server.keepAliveTimeout = 60_000
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () =>
  process.send?.({ port: (server.address() as AddressInfo).port }))
process.on("disconnect", () => process.exit(0))
