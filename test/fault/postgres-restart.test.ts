import { afterAll, describe, expect, it } from "vitest"
import { api, eventually, seedTenant } from "../support/http"
import { freePort, type ScratchPostgres, startScratchPostgres } from "../support/postgres"
import { spawnSignal, type SignalProcess } from "../support/process"
import { startReceiver } from "../support/receiver"

const running: Array<SignalProcess> = []
let postgres: ScratchPostgres | undefined
afterAll(async () => {
  for (const process of running) process.kill("SIGKILL")
  await postgres?.dispose()
})

describe("Postgres restart mid-load", () => {
  it("answers 503 within 5 s while the database is down, recovers by itself, delivers every accepted event", async () => {
    postgres = await startScratchPostgres({ durable: true })
    const pg = postgres.server
    await pg.createDatabase("signal")
    const receiver = await startReceiver()
    const signal = await spawnSignal({
      DATABASE_URL: postgres.url("signal"),
      PORT: String(await freePort()),
      SIGNAL_ALLOW_PRIVATE_NETWORKS: "127.0.0.0/8"
    })
    running.push(signal)
    const client = api(signal.url)
    const { tenantId, senderId } = await seedTenant(client)
    const destinations = await Promise.all([0, 1, 2, 3].map(async (i) =>
      (await client.post(`/v1/tenants/${tenantId}/destinations`, {
        name: `d${i}`,
        eventTypes: [`t${i}`],
        retry: { type: "linear", delaySeconds: 1, maxAttempts: 20 },
        variant: { type: "http_endpoint", url: receiver.url }
      })).body.id as string
    ))
    expect(destinations).toHaveLength(4)

    // keep publishing; count only what the API accepted
    const accepted = new Set<string>()
    let publishing = true
    const statuses: Array<{ at: number; status: number; body?: unknown }> = []
    const publisher = (async () => {
      let n = 0
      while (publishing) {
        const started = Date.now()
        const response = await client.post(`/v1/tenants/${tenantId}/events`, {
          senderId,
          eventType: `t${n++ % 4}`,
          payload: { n }
        }).catch((error: Error) => ({ status: 0, body: String(error.cause ?? error) }))
        statuses.push({ at: started, status: response.status, ...(response.status === 201 ? {} : { body: response.body }) })
        expect(Date.now() - started).toBeLessThan(5_000)
        if (response.status === 201) accepted.add(response.body.id)
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    })()

    await eventually(async () => (accepted.size >= 50 ? true : undefined), { what: "events accepted before the outage" })
    const stoppedAt = Date.now()
    await pg.stop()
    const unavailable = await eventually(async () => {
      const response = await client.get("/ready")
      return response.status === 503 ? Date.now() : undefined
    }, { timeoutMs: 10_000, what: "/ready to answer 503" })
    expect(unavailable - stoppedAt).toBeLessThan(5_000)
    await eventually(async () => (statuses.some((s) => s.at > stoppedAt && s.status === 503) ? true : undefined), {
      what: "a publish answered 503 during the outage"
    })

    await new Promise((resolve) => setTimeout(resolve, 2_000))
    await pg.start()
    const recovered = await eventually(async () => {
      const response = await client.get("/ready")
      return response.status === 200 ? Date.now() : undefined
    }, { timeoutMs: 30_000, what: "/ready to recover" })
    await eventually(async () => (statuses.some((s) => s.at > recovered && s.status === 201) ? true : undefined), {
      what: "publishing to work again"
    })
    publishing = false
    await publisher

    const received = () => new Set(receiver.requests.map((r) => JSON.parse(r.body).id as string))
    await eventually(async () => ([...accepted].every((id) => received().has(id)) ? true : undefined), {
      timeoutMs: 60_000,
      intervalMs: 250,
      what: "every accepted event to be delivered"
    })
    const outage = statuses.filter((s) => s.at > stoppedAt && s.at < recovered)
    console.log(
      `postgres restart: /ready 503 after ${unavailable - stoppedAt} ms, recovered ${recovered - stoppedAt} ms after stop; ` +
        `${accepted.size} events accepted, ${outage.filter((s) => s.status === 503).length} publishes answered 503 meanwhile`
    )
    expect(statuses.filter((s) => s.status !== 201 && s.status !== 503)).toEqual([])
    signal.kill("SIGTERM")
    await signal.exited
    await receiver.close()
  }, 180_000)
})
