import { SqlClient } from "@effect/sql"
import { type DestinationId, makeId } from "@signal/domain/Ids"
import { generateSigningSecret } from "@signal/domain/SigningSecret"
import { Effect } from "effect"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"

/**
 * A tenant, a sender, one destination and `intents` open intents due since the epoch (so they are
 * due at any `TestClock` time), written straight into the test database.
 */
export const seedBacklog = Effect.fn("seedBacklog")(function*(options: {
  readonly url: string
  readonly intents: number
  readonly maxConcurrency?: number
}) {
  const sql = yield* SqlClient.SqlClient
  const tenantId = makeId.tenant()
  const senderId = makeId.sender()
  const destinationId = makeId.destination()
  yield* sql`INSERT INTO tenants (id, identifier, name) VALUES (${tenantId}, ${tenantId}, 'tenant')`
  yield* sql`INSERT INTO senders (id, identifier, name) VALUES (${senderId}, ${senderId}, 'sender')`
  yield* sql`
    INSERT INTO destinations (id, tenant_id, name, url, method, timeout_ms, retry, max_concurrency, signing_secret)
    VALUES (${destinationId}, ${tenantId}, 'receiver', ${options.url}, 'POST', 5000,
      '{"type":"linear","delaySeconds":3600,"maxAttempts":5}', ${options.maxConcurrency ?? 1}, ${generateSigningSecret()})`
  const eventIds = Array.from({ length: options.intents }, () => makeId.event())
  const intentIds = Array.from({ length: options.intents }, () => makeId.intent())
  yield* sql`
    INSERT INTO events (id, tenant_id, sender_id, type, payload, status, destination_count)
    SELECT id, ${tenantId}, ${senderId}, 'test.event', '{"n":1}', 'pending', 1 FROM unnest(${eventIds}::text[]) AS id`
  yield* sql`
    INSERT INTO delivery_intents (id, tenant_id, event_id, destination_id, status, next_attempt_at)
    SELECT x.id, ${tenantId}, x.event_id, ${destinationId}, 'pending', 'epoch'
    FROM unnest(${intentIds}::text[], ${eventIds}::text[]) AS x(id, event_id)`
  return { tenantId, destinationId: destinationId as DestinationId, intentIds }
})

/** A receiver on 127.0.0.1 answering `status()` and counting requests; closed with the scope. */
export const countingReceiver = (status: () => number) =>
  Effect.acquireRelease(
    Effect.async<{ readonly url: string; readonly requests: () => number; readonly server: Server }>((resume) => {
      let requests = 0
      const server = createServer((request, response) => {
        request.resume()
        request.on("end", () => {
          requests++
          response.writeHead(status())
          response.end()
        })
      })
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as AddressInfo
        resume(Effect.succeed({ url: `http://127.0.0.1:${port}/hook`, requests: () => requests, server }))
      })
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  )

/** Waits in real time (the test's clock may be a `TestClock`) until `check` holds. */
export const eventually = <E, R>(check: Effect.Effect<boolean, E, R>, what: string, timeoutMs = 20_000) =>
  Effect.gen(function*() {
    const deadline = Date.now() + timeoutMs
    while (!(yield* check)) {
      if (Date.now() > deadline) return yield* Effect.dieMessage(`timed out waiting for ${what}`)
      yield* realSleep(25)
    }
  })

/** A pause in real time, whatever clock the test runs with. */
export const realSleep = (ms: number) => Effect.promise(() => new Promise((resolve) => setTimeout(resolve, ms)))
