import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { type Api, eventually, seedTenant } from "../support/http"
import { ok, type Receiver, type Responder, useReceivers } from "../support/receiver"
import { useTestServer } from "../support/server"
import { withSql } from "../support/sql"
import { createDestination, expectError, publish, sorted } from "./helpers"

// Gateways look for recovery jobs nobody runs every 300 ms (instead of 30 s).
const running = useTestServer({ env: { SIGNAL_RECOVERY_POLL_MS: "300" } })
const receiver = useReceivers()

const failing: Responder = (_request, _index, response) => {
  response.writeHead(500)
  response.end("no")
}
/** One attempt, then failed: a failed delivery stays failed until it is recovered or replayed. */
const oneAttempt = { retry: { type: "linear", delaySeconds: 3600, maxAttempts: 1 } }

const intentsOf = async (client: Api, tenantId: string, query: string) =>
  (await client.get(`/v1/tenants/${tenantId}/intents?limit=100&${query}`)).body.items as Array<any>

const settled = (client: Api, tenantId: string, query: string, count: number) =>
  eventually(async () => {
    const items = await intentsOf(client, tenantId, query)
    return items.length === count && items.every((i) => i.status === "succeeded" || i.status === "failed") ? items : undefined
  }, { what: `${count} finished intents (${query})`, timeoutMs: 30_000 })

const jobDone = (client: Api, tenantId: string, jobId: string) =>
  eventually(async () => {
    const response = await client.get(`/v1/tenants/${tenantId}/recoveries/${jobId}`)
    expect(response.status).toBe(200)
    return response.body.state === "done" ? response.body : undefined
  }, { what: `recovery ${jobId} to finish`, timeoutMs: 30_000 })

/** A tenant whose destination failed `count` deliveries and has since been fixed. */
const failedDeliveries = async (count: number) => {
  const client = running.client
  const { tenantId, senderId } = await seedTenant(client)
  const target: Receiver = await receiver(failing)
  const destination = await createDestination(client, tenantId, oneAttempt, target.url)
  for (let i = 0; i < count; i++) await publish(client, tenantId, senderId, { payload: { i } })
  const failed = await settled(client, tenantId, `destinationIds=${destination.id}`, count)
  expect(failed.every((intent) => intent.status === "failed")).toBe(true)
  expect(target.requests.length).toBe(count)
  target.respondWith(ok)
  return { client, tenantId, senderId, target, destination, failed }
}

const hourAgo = () => new Date(Date.now() - 3_600_000).toISOString()
const recoverPath = (tenantId: string, destinationId: string) =>
  `/v1/tenants/${tenantId}/destinations/${destinationId}/recover`

describe("POST …/destinations/:destinationId/recover", () => {
  it("re-queues failed intents as one job: new attempts under the same webhook-id", async () => {
    const { client, destination, failed, target, tenantId } = await failedDeliveries(5)
    const response = await client.post(recoverPath(tenantId, destination.id), { since: hourAgo() })
    expect(response.status, JSON.stringify(response.body)).toBe(202)
    expect(response.body.id).toMatch(/^rcv_/)
    expect(["queued", "running", "done"]).toContain(response.body.state)
    expect(response.body).toMatchObject({ destinationId: destination.id, status: ["failed"] })

    const job = await jobDone(client, tenantId, response.body.id)
    expect(job).toMatchObject({ matched: 5, requeued: 5 })
    expect(job.finishedAt).not.toBeNull()

    const recovered = await settled(client, tenantId, `destinationIds=${destination.id}`, 5)
    expect(recovered.every((intent) => intent.status === "succeeded" && intent.attemptCount === 2)).toBe(true)
    const redelivered = target.requests.slice(5).map((request) => String(request.headers["webhook-id"]))
    expect(sorted(redelivered)).toEqual(sorted(failed.map((intent) => intent.id)))
    // Each event's counters moved from failed to succeeded.
    const event = (await client.get(`/v1/tenants/${tenantId}/events/${failed[0].eventId}`)).body
    expect(event).toMatchObject({ status: "succeeded", successCount: 1, failureCount: 0 })
  })

  it("does not double the work when asked twice", async () => {
    const { client, destination, target, tenantId } = await failedDeliveries(4)
    // Slow answers keep re-queued intents in flight while the second request arrives.
    target.respondWith((_request, _index, response) => {
      setTimeout(() => {
        response.writeHead(200)
        response.end("ok")
      }, 300)
    })
    const body = { since: hourAgo(), status: ["failed"] }
    const first = await client.post(recoverPath(tenantId, destination.id), body)
    const second = await client.post(recoverPath(tenantId, destination.id), body)
    expect(first.status).toBe(202)
    expect(second.status).toBe(202)
    const firstJob = await jobDone(client, tenantId, first.body.id)
    const secondJob = await jobDone(client, tenantId, second.body.id)
    // Either the open job answered again, or a second job found nothing left to re-queue.
    if (second.body.id !== first.body.id) expect(firstJob.requeued + secondJob.requeued).toBe(4)
    await settled(client, tenantId, `destinationIds=${destination.id}&status=succeeded`, 4)
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(target.requests.length).toBe(8)
  })

  it("re-sends succeeded deliveries when asked to, and only those in the window", async () => {
    const client = running.client
    const { tenantId, senderId } = await seedTenant(client)
    const target = await receiver(ok)
    const destination = await createDestination(client, tenantId, {}, target.url)
    await publish(client, tenantId, senderId)
    await settled(client, tenantId, `destinationIds=${destination.id}`, 1)
    const later = new Date(Date.now() + 1000).toISOString()

    const empty = await client.post(recoverPath(tenantId, destination.id), {
      since: hourAgo(),
      until: new Date(Date.now() - 1_800_000).toISOString(),
      status: ["succeeded"]
    })
    expect((await jobDone(client, tenantId, empty.body.id)).requeued).toBe(0)

    const response = await client.post(recoverPath(tenantId, destination.id), {
      since: hourAgo(),
      until: later,
      status: ["succeeded", "failed"]
    })
    expect(response.status).toBe(202)
    expect((await jobDone(client, tenantId, response.body.id)).requeued).toBe(1)
    await eventually(async () => target.requests.length === 2 ? true : undefined, { what: "the re-sent delivery" })
    expect(target.requests[1].headers["webhook-id"]).toBe(target.requests[0].headers["webhook-id"])
  })

  it("resumes a job whose gateway stopped, from where its last batch ended", async () => {
    const { client, destination, failed, target, tenantId } = await failedDeliveries(3)
    // The job reads intents in seq order: its first batch re-queued the first one and moved the cursor
    // past it, then its gateway died (its lease ran out).
    const jobId = "rcv_0000000000000000stopped"
    await withSql(running.server.databaseUrl, (sql) =>
      Effect.gen(function*() {
        const [first] = yield* sql<{ id: string; event_id: string }>`
          SELECT id, event_id FROM delivery_intents WHERE destination_id = ${destination.id} ORDER BY seq LIMIT 1`
        expect(failed.map((intent) => intent.id)).toContain(first.id)
        yield* sql`UPDATE delivery_intents SET status = 'retrying', next_attempt_at = now() WHERE id = ${first.id}`
        yield* sql`UPDATE events SET failure_count = failure_count - 1, status = 'pending' WHERE id = ${first.event_id}`
        yield* sql`
          INSERT INTO recovery_jobs (id, tenant_id, destination_id, request_key, since, until, statuses, state, matched,
            requeued, cursor_seq, lease_until, started_at)
          SELECT ${jobId}, ${tenantId}, ${destination.id}, 'stopped', now() - interval '1 hour', now(), '{failed}',
            'running', 3, 1, seq, now() - interval '1 second', now() - interval '1 minute'
          FROM delivery_intents WHERE id = ${first.id}`
      }))
    const job = await jobDone(client, tenantId, jobId)
    expect(job).toMatchObject({ matched: 3, requeued: 3 })
    const recovered = await settled(client, tenantId, `destinationIds=${destination.id}`, 3)
    // Every intent was sent exactly once more: the resumed job did not start over.
    expect(recovered.every((intent) => intent.status === "succeeded" && intent.attemptCount === 2)).toBe(true)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(target.requests.length).toBe(6)
  })

  it("refuses bad input with 400 and stable codes", async () => {
    const client = running.client
    const { tenantId } = await seedTenant(client)
    const destination = await createDestination(client, tenantId)
    const path = recoverPath(tenantId, destination.id)
    const now = Date.now()
    const iso = (ms: number) => new Date(ms).toISOString()
    expectError(await client.post(path, {}), 400, "invalid_request")
    expectError(await client.post(path, { since: "yesterday" }), 400, "invalid_request")
    expectError(await client.post(path, { since: iso(now - 1000), status: ["pending"] }), 400, "invalid_request")
    expectError(await client.post(path, { since: iso(now - 1000), status: [] }), 400, "invalid_request")
    expectError(await client.post(path, "{"), 400, "invalid_json")
    expectError(await client.post(path, { since: iso(now + 60_000) }), 400, "invalid_time_range")
    expectError(await client.post(path, { since: iso(now - 1000), until: iso(now - 2000) }), 400, "invalid_time_range")
    expectError(await client.post(path, { since: iso(now - 91 * 86_400_000) }), 400, "invalid_time_range")
    expectError(await client.post(recoverPath(tenantId, "dst_x"), { since: iso(now - 1000) }), 400, "invalid_request")
    expectError(
      await client.post(recoverPath(tenantId, "dst_0000000000000000000000"), { since: iso(now - 1000) }),
      404,
      "not_found"
    )
    const other = await seedTenant(client)
    expectError(await client.post(recoverPath(other.tenantId, destination.id), { since: iso(now - 1000) }), 404, "not_found")
    await client.patch(`/v1/tenants/${tenantId}/destinations/${destination.id}`, { active: false })
    expectError(await client.post(path, { since: iso(now - 1000) }), 409, "destination_disabled")
    expectError(await client.get(`/v1/tenants/${tenantId}/recoveries/rcv_0000000000000000000000`), 404, "not_found")
    expectError(await client.get(`/v1/tenants/${tenantId}/recoveries/job-1`), 400, "invalid_request")
  })
})

describe("POST …/events/:eventId/replay", () => {
  it("re-delivers an event to its destinations, and to a chosen new one", async () => {
    const { client, destination, senderId, target, tenantId } = await failedDeliveries(1)
    const event = (await client.get(`/v1/tenants/${tenantId}/events`)).body.items[0]
    const replayed = await client.post(`/v1/tenants/${tenantId}/events/${event.id}/replay`)
    expect(replayed.status, JSON.stringify(replayed.body)).toBe(202)
    const [first] = replayed.body.deliveries
    expect(replayed.body).toMatchObject({ eventId: event.id, deliveries: [{ destinationId: destination.id, action: "requeued" }] })
    await eventually(async () => target.requests.length === 2 ? true : undefined, { what: "the replay" })
    expect(target.requests[1].headers["webhook-id"]).toBe(first.intentId)

    // A destination created after the event gets it through a new intent.
    const late = await receiver(ok)
    const newcomer = await createDestination(client, tenantId, {}, late.url)
    const chosen = await client.post(`/v1/tenants/${tenantId}/events/${event.id}/replay`, { destinationIds: [newcomer.id] })
    expect(chosen.status).toBe(202)
    expect(chosen.body.deliveries).toEqual([{ destinationId: newcomer.id, intentId: expect.stringMatching(/^int_/), action: "created" }])
    await eventually(async () => late.requests.length === 1 ? true : undefined, { what: "delivery to the new destination" })
    const body = JSON.parse(late.requests[0].body)
    expect(body).toMatchObject({ id: event.id, senderId, payload: { i: 0 } })
    await eventually(async () => {
      const after = (await client.get(`/v1/tenants/${tenantId}/events/${event.id}`)).body
      return after.status === "succeeded" ? after : undefined
    }, { what: "the event to count both deliveries" }).then((after) => {
      expect(after).toMatchObject({ destinationCount: 2, successCount: 2, failureCount: 0 })
    })
  })

  it("leaves a delivery still on its way alone", async () => {
    const client = running.client
    const { tenantId, senderId } = await seedTenant(client)
    const target = await receiver(failing)
    // Retries an hour away: the intent stays open (retrying) after its first attempt.
    const destination = await createDestination(client, tenantId, { retry: { type: "linear", delaySeconds: 3600, maxAttempts: 5 } }, target.url)
    const event = await publish(client, tenantId, senderId)
    await eventually(async () => target.requests.length === 1 ? true : undefined, { what: "the first attempt" })
    const replayed = await client.post(`/v1/tenants/${tenantId}/events/${event.id}/replay`, { destinationIds: [destination.id] })
    expect(replayed.status).toBe(202)
    expect(replayed.body.deliveries).toMatchObject([{ destinationId: destination.id, action: "already_pending" }])
  })

  it("refuses bad input with stable codes", async () => {
    const client = running.client
    const { tenantId, senderId } = await seedTenant(client)
    const destination = await createDestination(client, tenantId)
    const event = await publish(client, tenantId, senderId)
    const path = `/v1/tenants/${tenantId}/events/${event.id}/replay`
    expectError(await client.post(path, { destinationIds: [] }), 400, "invalid_request")
    expectError(await client.post(path, { destinationIds: ["nope"] }), 400, "invalid_request")
    expectError(await client.post(path, { destinationIds: "dst_0000000000" }), 400, "invalid_request")
    expectError(await client.post(path, "[1,"), 400, "invalid_json")
    expectError(await client.post(`/v1/tenants/${tenantId}/events/evt_0000000000000000000000/replay`), 404, "not_found")
    expectError(await client.post(`/v1/tenants/${tenantId}/events/evt-1/replay`), 400, "invalid_request")
    expectError(await client.post(path, { destinationIds: ["dst_0000000000000000000000"] }), 404, "not_found")
    const other = await seedTenant(client)
    const foreign = await createDestination(client, other.tenantId)
    expectError(await client.post(path, { destinationIds: [foreign.id] }), 404, "not_found")
    expectError(await client.post(`/v1/tenants/${other.tenantId}/events/${event.id}/replay`), 404, "not_found")
    await client.patch(`/v1/tenants/${tenantId}/destinations/${destination.id}`, { active: false })
    expectError(await client.post(path, { destinationIds: [destination.id] }), 409, "destination_disabled")
  })
})
