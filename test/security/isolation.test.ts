/**
 * The isolation matrix: every endpoint of the contract (read from `SignalApi`), called with no key,
 * bad keys, a revoked key, another tenant's key, the tenant's own key and the admin key.
 */
import { type RunningServer, startTestServer } from "@signal/server/TestServer"
import { randomBytes } from "node:crypto"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { eventually, type JsonResponse } from "../support/http"
import { type Receiver, startReceiver } from "../support/receiver"
import {
  ADMIN_KEY,
  bearer,
  contractEndpoints,
  type ContractEndpoint,
  createKey,
  fillPath,
  isAdminOnly,
  isOpen,
  keyed,
  type Keyed,
  seedTenant
} from "./contract"

let server: RunningServer
let receiver: Receiver
let admin: Keyed
let tenantA: { tenantId: string; senderId: string }
let tenantB: { tenantId: string; senderId: string }
let keyA: string
let keyB: string
let revokedKeyA: string
/** Path values naming tenant A's resources. */
let paramsA: Record<string, string>

const newDestination = async (tenantId: string) => {
  const created = await admin.post(`/v1/tenants/${tenantId}/destinations`, {
    name: "matrix",
    variant: { type: "http_endpoint", url: receiver.url }
  })
  expect(created.status).toBe(201)
  return created.body.id as string
}

interface Call {
  readonly params?: Record<string, string>
  readonly body?: unknown
}

/**
 * What a successful call of an endpoint needs beyond the path values. Endpoints without an entry are
 * still checked: GETs must succeed as they are, other methods may answer 400 for the missing body.
 */
const fixtures: Record<string, () => Promise<Call>> = {
  "tenant.upsert": async () => ({ body: { identifier: `t-${randomBytes(5).toString("hex")}`, name: "Matrix" } }),
  "sender.upsert": async () => ({ body: { identifier: `s-${randomBytes(5).toString("hex")}`, name: "Matrix" } }),
  "eventDestination.create": async () => ({
    body: { name: "matrix", variant: { type: "http_endpoint", url: receiver.url } }
  }),
  "eventDestination.update": async () => ({ body: { name: "renamed" } }),
  "eventDestination.delete": async () => ({ params: { destinationId: await newDestination(tenantA.tenantId) } }),
  "eventDestination.rotateSecret": async () => ({ body: { graceSeconds: 60 } }),
  "event.create": async () => ({ body: { senderId: tenantA.senderId, eventType: "matrix.check", payload: { ok: true } } }),
  "event.createBatch": async () => ({
    body: { events: [{ senderId: tenantA.senderId, eventType: "matrix.check", payload: { n: 1 } }] }
  }),
  "recovery.recover": async () => ({ body: { since: new Date(Date.now() - 3_600_000).toISOString() } }),
  "retention.set": async () => ({ body: { days: 30 } }),
  "apiKey.create": async () => ({ body: { name: "matrix" } }),
  "apiKey.revoke": async () => ({ params: { keyId: (await createKey(admin, tenantA.tenantId, "throwaway")).id } })
}

const call = async (endpoint: ContractEndpoint, headers: Record<string, string>, params = paramsA) => {
  const fixture = await (fixtures[endpoint.id] ?? (async () => ({})))()
  const path = fillPath(endpoint.path, { ...params, ...fixture.params })
  const body = endpoint.method === "GET" || endpoint.method === "DELETE" ? undefined : fixture.body ?? {}
  return keyed(server.url, headers).send(endpoint.method, path, body)
}

const describeResponse = (response: JsonResponse) => `${response.status} ${JSON.stringify(response.body)}`

const expectUnauthorized = (response: JsonResponse) => {
  expect(response.status, describeResponse(response)).toBe(401)
  expect(response.body.code).toBe("unauthorized")
}

const expectNotFound = (response: JsonResponse) => {
  expect(response.status, describeResponse(response)).toBe(404)
  expect(response.body.code).toBe("not_found")
}

const expectSuccess = (endpoint: ContractEndpoint, response: JsonResponse) => {
  if (fixtures[endpoint.id] !== undefined || endpoint.method === "GET") {
    expect(response.status, `${endpoint.id}: ${describeResponse(response)}`).toBeGreaterThanOrEqual(200)
    expect(response.status, `${endpoint.id}: ${describeResponse(response)}`).toBeLessThan(300)
  } else {
    expect([200, 201, 202, 204, 400], `${endpoint.id}: ${describeResponse(response)}`).toContain(response.status)
  }
}

beforeAll(async () => {
  receiver = await startReceiver()
  server = await startTestServer({ env: { SIGNAL_ADMIN_KEY: ADMIN_KEY, SIGNAL_API_RATE_LIMIT_PER_SECOND: "0" } })
  admin = keyed(server.url, bearer(ADMIN_KEY))
  tenantA = await seedTenant(admin)
  tenantB = await seedTenant(admin)
  keyA = (await createKey(admin, tenantA.tenantId)).key
  keyB = (await createKey(admin, tenantB.tenantId)).key
  const revoked = await createKey(admin, tenantA.tenantId, "revoked")
  expect((await admin.delete(`/v1/tenants/${tenantA.tenantId}/api-keys/${revoked.id}`)).status).toBe(200)
  revokedKeyA = revoked.key

  // One delivered event, so intents and attempts exist to be read.
  const destinationId = await newDestination(tenantA.tenantId)
  const event = await admin.post(`/v1/tenants/${tenantA.tenantId}/events`, {
    senderId: tenantA.senderId,
    eventType: "matrix.seed",
    payload: { seed: true }
  })
  expect(event.status).toBe(201)
  const attempt = await eventually(async () => {
    const found = await admin.get(`/v1/tenants/${tenantA.tenantId}/attempts?eventIds=${event.body.id}`)
    return found.body.items?.[0]
  }, { what: "the seed attempt" })
  paramsA = {
    tenantId: tenantA.tenantId,
    senderId: tenantA.senderId,
    destinationId,
    eventId: event.body.id,
    intentId: attempt.intentId,
    attemptId: attempt.id,
    keyId: (await createKey(admin, tenantA.tenantId, "listed")).id,
    jobId: (await admin.post(`/v1/tenants/${tenantA.tenantId}/destinations/${destinationId}/recover`, {
      since: new Date(Date.now() - 3_600_000).toISOString()
    })).body.id
  }
})

afterAll(async () => {
  await server?.stop()
  await receiver?.close()
})

const protectedEndpoints = contractEndpoints.filter((endpoint) => !isOpen(endpoint))

describe("the matrix covers the contract", () => {
  it("derives every endpoint from SignalApi, the new ones included", () => {
    const ids = contractEndpoints.map((endpoint) => endpoint.id)
    expect(ids).toEqual(expect.arrayContaining([
      "tenant.upsert",
      "eventDestination.rotateSecret",
      "apiKey.create",
      "apiKey.list",
      "apiKey.revoke",
      "event.createBatch",
      "eventDeliveryAttempt.get"
    ]))
    expect(protectedEndpoints.length).toBeGreaterThanOrEqual(20)
  })
})

describe.each(protectedEndpoints.map((endpoint) => [`${endpoint.method} ${endpoint.path}`, endpoint] as const))(
  "%s",
  (_, endpoint) => {
    it("answers 401 without a key, with unknown keys and with a revoked key", async () => {
      expectUnauthorized(await call(endpoint, {}))
      expectUnauthorized(await call(endpoint, bearer("sk_not-a-real-key")))
      expectUnauthorized(await call(endpoint, { "x-api-key": "not-the-admin-key-0000" }))
      expectUnauthorized(await call(endpoint, bearer(revokedKeyA)))
      expectUnauthorized(await call(endpoint, { "x-api-key": revokedKeyA }))
    })

    it("answers 404 to another tenant's key", async () => {
      expectNotFound(await call(endpoint, bearer(keyB)))
      expectNotFound(await call(endpoint, { "x-api-key": keyB }))
    })

    if (isAdminOnly(endpoint)) {
      it("is the admin's: 404 to the tenant's own key, 2xx to the admin key", async () => {
        expectNotFound(await call(endpoint, { "x-api-key": keyA }))
        expectSuccess(endpoint, await call(endpoint, bearer(ADMIN_KEY)))
      })
    } else {
      it("answers 2xx to the tenant's own key and to the admin key", async () => {
        expectSuccess(endpoint, await call(endpoint, { "x-api-key": keyA }))
        expectSuccess(endpoint, await call(endpoint, bearer(keyA)))
        expectSuccess(endpoint, await call(endpoint, { "x-api-key": ADMIN_KEY }))
      })

      if (/:(destinationId|eventId|intentId|attemptId)/.test(endpoint.path)) {
        it("answers 404 when a tenant names another tenant's resource under its own path", async () => {
          expectNotFound(await call(endpoint, bearer(keyB), { ...paramsA, tenantId: tenantB.tenantId }))
        })
      }
    }
  }
)

describe("open routes", () => {
  it("serves health, readiness, the OpenAPI document and the docs without a key", async () => {
    const anonymous = keyed(server.url, {})
    for (const endpoint of contractEndpoints.filter(isOpen)) {
      const response = await anonymous.send(endpoint.method, endpoint.path)
      expect(response.status, `${endpoint.path}: ${describeResponse(response)}`).toBe(200)
    }
    const openapi = await anonymous.get("/openapi.json")
    expect(openapi.status).toBe(200)
    const schemes = JSON.stringify(openapi.body.components?.securitySchemes ?? {})
    expect(schemes).toContain("bearer")
    expect(schemes).toContain("X-Api-Key")
    expect((await anonymous.get("/docs")).status).toBe(200)
    // /metrics may be served by another layer; it must not ask for a key either.
    expect((await anonymous.get("/metrics")).status).not.toBe(401)
  })

  it("answers 401 with a WWW-Authenticate challenge and keeps keys out of error messages", async () => {
    const response = await keyed(server.url, bearer(`${keyA}x`)).get(`/v1/tenants/${tenantA.tenantId}/events`)
    expectUnauthorized(response)
    expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/)
    expect(JSON.stringify(response.body)).not.toContain(keyA)
  })
})
