/**
 * Keys and the secure default: tenant API keys (shown once, stored hashed, listed without secrets,
 * revoked at once), the per-key rate limit, and the rule that an API without an admin key serves
 * only on loopback.
 */
import { SqlClient } from "@effect/sql"
import * as AccessConfig from "@signal/gateway/AccessConfig"
import { startTestServer } from "@signal/server/TestServer"
import { clientLayer } from "@signal/store/Database"
import { Cause, ConfigProvider, Effect, Exit, Layer, Logger, Option, Redacted } from "effect"
import { createHash } from "node:crypto"
import { beforeAll, beforeEach, describe, expect, it } from "vitest"
import { api } from "../support/http"
import { runSignalCommand } from "../support/process"
import { useTestServer } from "../support/server"
import { ADMIN_KEY, bearer, createKey, keyed, type Keyed, seedTenant } from "./contract"

const RATE = 5

const running = useTestServer({
  env: { SIGNAL_ADMIN_KEY: ADMIN_KEY, SIGNAL_API_RATE_LIMIT_PER_SECOND: String(RATE) }
})
let admin: Keyed

beforeAll(() => {
  admin = keyed(running.server.url, bearer(ADMIN_KEY))
})

/** Waits out the rate limit of a key (the admin's too: it is limited like any key). */
const refill = () => new Promise((resolve) => setTimeout(resolve, 1_100))

beforeEach(refill)

const query = <A extends object>(databaseUrl: string, run: (sql: SqlClient.SqlClient) => Effect.Effect<A, unknown>) =>
  Effect.runPromise(
    Effect.flatMap(SqlClient.SqlClient, run).pipe(
      Effect.provide(clientLayer(Redacted.make(databaseUrl))),
      Effect.scoped
    ) as Effect.Effect<A, unknown>
  )

describe("tenant API keys", () => {
  it("shows the key once, stores only its SHA-256 and lists it without secrets", async () => {
    const { tenantId } = await seedTenant(admin)
    await refill()
    const created = await admin.post(`/v1/tenants/${tenantId}/api-keys`, { name: "ci" })
    expect(created.status).toBe(201)
    const key: string = created.body.key
    expect(key).toMatch(/^sk_[A-Za-z0-9_-]{43}$/)
    expect(created.body).toMatchObject({ tenantId, name: "ci", prefix: key.slice(0, 11), lastUsedAt: null, revokedAt: null })

    const listed = await admin.get(`/v1/tenants/${tenantId}/api-keys`)
    expect(listed.status).toBe(200)
    expect(listed.body.items).toHaveLength(1)
    expect(Object.keys(listed.body.items[0]).sort()).toEqual(
      ["createdAt", "id", "lastUsedAt", "name", "prefix", "revokedAt", "tenantId"]
    )
    expect(JSON.stringify(listed.body)).not.toContain(key.slice(11))

    const rows = await query(running.server.databaseUrl, (sql) => sql<Record<string, unknown>>`SELECT * FROM api_keys`)
    expect(rows).toHaveLength(1)
    expect(rows[0].key_hash).toBe(createHash("sha256").update(key).digest("hex"))
    expect(JSON.stringify(rows)).not.toContain(key.slice(11))

    // Used with either header; the use is recorded.
    const tenant = keyed(running.server.url, bearer(key))
    expect((await tenant.get(`/v1/tenants/${tenantId}`)).status).toBe(200)
    expect((await keyed(running.server.url, { authorization: `bearer ${key}` }).get(`/v1/tenants/${tenantId}`)).status).toBe(200)
    expect((await keyed(running.server.url, { "x-api-key": key }).get(`/v1/tenants/${tenantId}/events`)).status).toBe(200)
    const used = (await admin.get(`/v1/tenants/${tenantId}/api-keys`)).body.items[0]
    expect(Date.parse(used.lastUsedAt)).not.toBeNaN()
  })

  it("revokes at once and idempotently; revoked keys answer 401", async () => {
    const { tenantId } = await seedTenant(admin)
    await refill()
    const { id, key } = await createKey(admin, tenantId)
    const tenant = keyed(running.server.url, { "x-api-key": key })
    expect((await tenant.get(`/v1/tenants/${tenantId}/destinations`)).status).toBe(200)

    const revoked = await admin.delete(`/v1/tenants/${tenantId}/api-keys/${id}`)
    expect(revoked.status).toBe(200)
    expect(Date.parse(revoked.body.revokedAt)).not.toBeNaN()
    const again = await admin.delete(`/v1/tenants/${tenantId}/api-keys/${id}`)
    expect(again.body.revokedAt).toBe(revoked.body.revokedAt)

    const refused = await tenant.get(`/v1/tenants/${tenantId}/destinations`)
    expect(refused.status).toBe(401)
    expect(refused.body.code).toBe("unauthorized")
    expect((await admin.get(`/v1/tenants/${tenantId}/api-keys`)).body.items[0].revokedAt).toBe(revoked.body.revokedAt)
  })

  it("answers 404 for keys of unknown tenants and for another tenant's key id", async () => {
    const a = await seedTenant(admin)
    const b = await seedTenant(admin)
    await refill()
    const keyOfA = await createKey(admin, a.tenantId)
    expect((await admin.post("/v1/tenants/ten_00000000000000000000000000/api-keys", {})).status).toBe(404)
    expect((await admin.delete(`/v1/tenants/${b.tenantId}/api-keys/${keyOfA.id}`)).status).toBe(404)
    expect((await admin.get(`/v1/tenants/${b.tenantId}/api-keys`)).body.items).toEqual([])
    expect((await admin.post(`/v1/tenants/${a.tenantId}/api-keys`, { name: "" })).status).toBe(400)
  })
})

describe("per-key rate limit", () => {
  it("answers 429 rate_limited with Retry-After past the burst, per key, and serves again later", async () => {
    const { tenantId } = await seedTenant(admin)
    const { key } = await createKey(admin, tenantId)
    await refill()
    const tenant = keyed(running.server.url, bearer(key))
    const answers = await Promise.all(Array.from({ length: RATE * 4 }, () => tenant.get(`/v1/tenants/${tenantId}/events`)))
    const limited = answers.filter((answer) => answer.status === 429)
    expect(answers.filter((answer) => answer.status === 200).length).toBeGreaterThanOrEqual(RATE)
    expect(limited.length).toBeGreaterThan(0)
    expect(answers.every((answer) => answer.status === 200 || answer.status === 429)).toBe(true)
    expect(limited[0].body).toMatchObject({ code: "rate_limited" })
    const retryAfter = Number(limited[0].headers.get("retry-after"))
    expect(retryAfter).toBeGreaterThanOrEqual(1)
    expect(limited[0].body.retryAfterSeconds).toBe(retryAfter)

    // Another key is not affected by this one's burst.
    expect((await admin.get(`/v1/tenants/${tenantId}`)).status).toBe(200)

    await new Promise((resolve) => setTimeout(resolve, retryAfter * 1_000))
    expect((await tenant.get(`/v1/tenants/${tenantId}/events`)).status).toBe(200)
  })

  it("leaves health, readiness and docs unlimited", async () => {
    const anonymous = keyed(running.server.url, {})
    const answers = await Promise.all(Array.from({ length: RATE * 4 }, () => anonymous.get("/health")))
    expect(answers.every((answer) => answer.status === 200)).toBe(true)
  })
})

describe("secure default", () => {
  const load = (host: string, settings: Record<string, string> = {}) => {
    const messages: Array<string> = []
    const logger = Logger.make(({ message }) => {
      messages.push(Array.isArray(message) ? message.join(" ") : String(message))
    })
    return Effect.runPromiseExit(
      AccessConfig.load(host).pipe(
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(settings)))),
        Effect.provide(Logger.replace(Logger.defaultLogger, logger))
      )
    ).then((exit) => ({ exit, messages }))
  }

  it("refuses to serve on a non-loopback address without an admin key, with a clear message", async () => {
    for (const host of ["0.0.0.0", "::", "10.1.2.3", "signal.example.com"]) {
      const { exit } = await load(host)
      expect(Exit.isFailure(exit), host).toBe(true)
      if (Exit.isFailure(exit)) {
        const message = String(Cause.squash(exit.cause))
        expect(message).toContain("SIGNAL_ADMIN_KEY is not set")
        expect(message).toContain(`HOST is ${host}`)
        expect(message).toContain("loopback")
      }
    }
    // The same as a layer: building it fails, so the server never starts.
    const built = await Effect.runPromiseExit(
      Layer.build(AccessConfig.AccessConfig.layer("0.0.0.0")).pipe(
        Effect.scoped,
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map()))
      )
    )
    expect(Exit.isFailure(built)).toBe(true)
  })

  it("`signal cluster` applies the same rule to the address its proxy binds", async () => {
    const env = { HOST: "0.0.0.0", SIGNAL_ADMIN_KEY: "", DATABASE_URL: "postgres://signal:signal@127.0.0.1:9/none" }
    const refused = await runSignalCommand(["cluster", "--gateways", "1", "--dispatchers", "1"], env)
    expect(refused.code).not.toBe(0)
    expect(refused.output).toContain("SIGNAL_ADMIN_KEY is not set")
    expect(refused.output).toContain("HOST is 0.0.0.0")
  })

  it("serves without authentication on loopback, saying so in a warning", async () => {
    for (const host of ["127.0.0.1", "::1", "[::1]", "localhost"]) {
      const { exit, messages } = await load(host)
      expect(Exit.isSuccess(exit), host).toBe(true)
      if (Exit.isSuccess(exit)) expect(Option.isNone(exit.value.adminKey)).toBe(true)
      expect(messages.join("\n")).toContain("without authentication")
    }
  })

  it("serves anywhere with an admin key, and refuses a short one", async () => {
    const { exit, messages } = await load("0.0.0.0", { SIGNAL_ADMIN_KEY: ADMIN_KEY })
    expect(Exit.isSuccess(exit)).toBe(true)
    expect(messages).toEqual([])
    expect(Exit.isFailure((await load("0.0.0.0", { SIGNAL_ADMIN_KEY: "short" })).exit)).toBe(true)
    expect(Exit.isFailure((await load("127.0.0.1", { SIGNAL_API_RATE_LIMIT_PER_SECOND: "-1" })).exit)).toBe(true)
  })

  it("checks credentials that are sent even in the unauthenticated loopback mode", async () => {
    const open = await startTestServer()
    try {
      const client = api(open.url)
      const { tenantId } = await seedTenant(keyed(open.url, {}))
      expect((await client.get(`/v1/tenants/${tenantId}`)).status).toBe(200)
      expect((await client.get(`/v1/tenants/${tenantId}`, { authorization: "Bearer sk_wrong" })).status).toBe(401)
      // A tenant key still confines its holder to its tenant.
      const other = await seedTenant(keyed(open.url, {}))
      const { key } = await createKey(keyed(open.url, {}), tenantId)
      expect((await client.get(`/v1/tenants/${tenantId}/events`, { "x-api-key": key })).status).toBe(200)
      expect((await client.get(`/v1/tenants/${other.tenantId}/events`, { "x-api-key": key })).status).toBe(404)
      expect((await client.put("/v1/senders", { identifier: "x", name: "x" }, { "x-api-key": key })).status).toBe(404)
    } finally {
      await open.stop()
    }
  })
})
