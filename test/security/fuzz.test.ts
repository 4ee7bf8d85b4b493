/**
 * Fuzz: 10,000 random and malformed requests (bad JSON, wrong types, huge and unicode strings, deep
 * nesting, path traversal, bad ids and cursors, odd methods, content types and keys), spread over
 * every endpoint of the contract with a seeded PRNG, 20 at a time, against one server. None may
 * answer 5xx, the server must stay ready, and another tenant's data must come out unchanged.
 *
 * Reproduce a run with `SIGNAL_FUZZ_SEED=<seed>`; `SIGNAL_FUZZ_REQUESTS` changes the count.
 */
import { type RunningServer, startTestServer } from "@signal/server/TestServer"
import { Agent, request as httpRequest } from "node:http"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  ADMIN_KEY,
  bearer,
  contractEndpoints,
  type ContractEndpoint,
  createKey,
  keyed,
  type Keyed,
  seedTenant
} from "./contract"

const SEED = Number(process.env.SIGNAL_FUZZ_SEED ?? 0x5eed)
const REQUESTS = Number(process.env.SIGNAL_FUZZ_REQUESTS ?? 10_000)
const CONCURRENCY = 20

/** mulberry32: small, fast, good enough to spread requests, and reproducible. */
const prng = (seed: number) => {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

type Rng = ReturnType<typeof prng>
const pick = <A>(rng: Rng, items: ReadonlyArray<A>): A => items[Math.floor(rng() * items.length)]
const chance = (rng: Rng, p: number) => rng() < p
const int = (rng: Rng, max: number) => Math.floor(rng() * max)

const CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"
const randomId = (rng: Rng, prefix: string) =>
  `${prefix}_${Array.from({ length: 26 }, () => CROCKFORD[int(rng, 32)]).join("")}`

const weirdStrings = [
  "",
  " ",
  "a",
  "x".repeat(256),
  "x".repeat(5_000),
  "héllo wörld",
  "😀".repeat(64),
  "\u202Etxt.exe",
  "\u0000",
  "nul\u0000inside",
  "\ud800",
  "\udfff\ud800",
  "'; DROP TABLE events; --",
  "<script>alert(1)</script>",
  "../../etc/passwd",
  "%00",
  "${jndi:ldap://x}",
  "null",
  "true",
  "-1",
  "1e309",
  "NaN",
  "\r\nX-Injected: 1",
  "ten_00000000000000000000000000",
  "whsec_AAAA"
]

const weirdValue = (rng: Rng, depth = 0): unknown => {
  switch (int(rng, 14)) {
    case 0:
      return null
    case 1:
      return pick(rng, [true, false])
    case 2:
      return pick(rng, [0, -1, 1.5, 1e308, -1e308, 2 ** 63, Number.MAX_SAFE_INTEGER + 2, 86_400, 1])
    case 3:
      return []
    case 4:
      return {}
    case 5:
      return depth < 3 ? [weirdValue(rng, depth + 1), weirdValue(rng, depth + 1)] : []
    case 6:
      return depth < 3 ? { [pick(rng, weirdStrings)]: weirdValue(rng, depth + 1) } : {}
    case 7:
      return "x".repeat(pick(rng, [10_000, 100_000]))
    default:
      return pick(rng, weirdStrings)
  }
}

const deepArray = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`
const deepObject = (depth: number): unknown => {
  let value: unknown = 1
  for (let i = 0; i < depth; i++) value = { a: value }
  return value
}

const malformedSegments = [
  "",
  "..",
  "../..",
  "%2e%2e",
  "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
  "%2F",
  "%",
  "%ff",
  "%c0%ae%c0%ae",
  "ten_",
  "TEN_0000000000",
  "ten_" + "0".repeat(60),
  "x".repeat(300),
  encodeURIComponent("тенант"),
  encodeURIComponent("😀"),
  "'%20OR%201=1--",
  "null",
  "0",
  "-1",
  "%00"
]

const rawPaths = [
  "/v1/tenants/../../etc/passwd",
  "/v1/tenants/%2e%2e/%2e%2e/etc/passwd",
  "/../../../../etc/passwd",
  "//v1//tenants",
  "/v1/./tenants",
  "/%00",
  "/v1",
  "/",
  "*",
  "/v1/" + "a/".repeat(2_000),
  "/docs/../openapi.json",
  "/v1/tenants/%c0%ae%c0%ae/",
  "/v1/tenants/ten_00000000000000000000000000/destinations/dst_00000000000000000000000000/rotate-secret/extra",
  "/v1/senders/",
  "/health/../ready",
  "/v1/tenants/{tenantId}/destinations"
]

const queryNames = [
  "limit",
  "cursor",
  "order",
  "eventTypes",
  "topics",
  "senderIds",
  "destinationIds",
  "eventIds",
  "intentIds",
  "status",
  "createdAfter",
  "createdBefore",
  "from",
  "to",
  "foo",
  "__proto__"
]
const queryValues = [
  "",
  "abc",
  "-1",
  "0",
  "201",
  "1e3",
  "2.5",
  "99999999999999999999",
  "9223372036854775807",
  "asc",
  "desc",
  "sideways",
  "%00",
  "a,b,,c",
  encodeURIComponent("😀"),
  "2024-13-45",
  "2024-01-01T00:00:00Z",
  "-271821-04-20T00:00:00Z",
  "%2B275760-09-13T00:00:00Z",
  "null",
  "%5Bobject%20Object%5D",
  "x".repeat(3_000),
  "pending,succeeded",
  "ten_00000000000000000000000000"
]

const methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD", "FOO", "PROPFIND", "TRACE"]
const badJson = [
  "{",
  "}",
  "[",
  "{\"a\":",
  "nul",
  "tru",
  "{'a':1}",
  "{\"a\":1,}",
  "\u0000",
  "{\"a\":1}{\"b\":2}",
  "\"unterminated",
  "{\"name\":\"\\ud800\"}",
  "{\"name\":\"\\u0000\"}",
  "\xff\xfe\x00\x01",
  "1".repeat(400),
  "-"
]

interface FuzzRequest {
  readonly method: string
  readonly path: string
  readonly headers: Record<string, string>
  readonly body?: string | Buffer
  readonly target: string
}

interface Fixture {
  /** Path values of the playground tenant (fuzzed freely) and of the snapshot tenant (read only). */
  readonly playground: Record<string, string>
  readonly snapshot: Record<string, string>
  readonly keys: { playground: string; snapshot: string; revoked: string }
}

/** A payload of the right shape for the endpoint, in the playground tenant. */
const template = (endpoint: ContractEndpoint, fixture: Fixture, rng: Rng): Record<string, unknown> => {
  const senderId = fixture.playground.senderId
  switch (endpoint.id) {
    case "tenant.upsert":
    case "sender.upsert":
      return { identifier: `fuzz-${int(rng, 1e9)}`, name: "Fuzz" }
    case "eventDestination.create":
      return { name: "fuzz", variant: { type: "http_endpoint", url: "http://fuzz.invalid/hook" }, active: false }
    case "eventDestination.update":
      return { name: "fuzzed", description: "x" }
    case "eventDestination.rotateSecret":
      return { graceSeconds: 60 }
    case "event.create":
      return { senderId, eventType: "fuzz.event", payload: { n: int(rng, 100) } }
    case "event.createBatch":
      return { events: [{ senderId, eventType: "fuzz.event", payload: {} }] }
    case "apiKey.create":
      return { name: "fuzz" }
    default:
      return {}
  }
}

const mutate = (rng: Rng, value: Record<string, unknown>): unknown => {
  const keys = Object.keys(value)
  const copy: Record<string, unknown> = { ...value }
  switch (int(rng, 5)) {
    case 0:
      if (keys.length > 0) delete copy[pick(rng, keys)]
      return copy
    case 1:
      copy[keys.length > 0 ? pick(rng, keys) : "name"] = weirdValue(rng)
      return copy
    case 2:
      copy[pick(rng, weirdStrings) || "extra"] = weirdValue(rng)
      return copy
    case 3:
      if ("payload" in copy) copy.payload = deepObject(pick(rng, [31, 33, 64]))
      else if ("events" in copy) copy.events = Array.from({ length: pick(rng, [0, 1001]) }, () => (value.events as Array<unknown>)[0])
      else copy.name = "😀".repeat(int(rng, 300))
      return copy
    default:
      return copy
  }
}

const fillSegment = (rng: Rng, name: string, fixture: Fixture, useSnapshot: boolean): string => {
  const roll = rng()
  if (roll < 0.55) {
    const value = (useSnapshot ? fixture.snapshot : fixture.playground)[name]
    if (value !== undefined) return encodeURIComponent(value)
  }
  if (roll < 0.7) {
    const prefix = { tenantId: "ten", senderId: "snd", destinationId: "dst", eventId: "evt", intentId: "int", attemptId: "att", keyId: "key" }[name] ?? "xyz"
    return randomId(rng, prefix)
  }
  return pick(rng, malformedSegments)
}

const makeRequest = (index: number, fixture: Fixture): FuzzRequest => {
  const rng = prng(SEED ^ Math.imul(index + 1, 0x9e3779b1))
  const endpoint = pick(rng, contractEndpoints)
  const raw = chance(rng, 0.08)
  // The snapshot tenant is only ever named by keys that may not change it.
  const useSnapshot = !raw && endpoint.path.includes(":tenantId") && chance(rng, 0.2)
  let path = raw
    ? pick(rng, rawPaths)
    : endpoint.path.replace(/:(\w+)/g, (_, name: string) => fillSegment(rng, name, fixture, useSnapshot))
  if (chance(rng, 0.35)) {
    const params = Array.from({ length: 1 + int(rng, 3) }, () => `${pick(rng, queryNames)}=${pick(rng, queryValues)}`)
    path += `${path.includes("?") ? "&" : "?"}${params.join("&")}`
  }
  const method = chance(rng, 0.8) ? endpoint.method : pick(rng, methods)

  const headers: Record<string, string> = {}
  const auth = rng()
  const mutating = method !== "GET" && method !== "HEAD" && method !== "OPTIONS"
  if (auth < 0.4) {
    Object.assign(headers, chance(rng, 0.5) ? bearer(fixture.keys.playground) : { "x-api-key": fixture.keys.playground })
  } else if (auth < 0.62) {
    // The admin may change anything, so it never names the snapshot tenant with a method that writes.
    Object.assign(headers, bearer(useSnapshot && mutating ? fixture.keys.playground : ADMIN_KEY))
  } else if (auth < 0.75) {
    // no key at all
  } else if (auth < 0.85) {
    Object.assign(headers, pick(rng, [
      bearer("sk_" + "a".repeat(43)),
      { authorization: "Bearer " },
      { authorization: "Basic YWRtaW46YWRtaW4=" },
      bearer("x".repeat(5_000)),
      { "x-api-key": "' OR 1=1 --" },
      { authorization: `Bearer ${ADMIN_KEY}x` },
      { "x-api-key": ADMIN_KEY.slice(0, -1) }
    ]))
  } else if (auth < 0.93) {
    Object.assign(headers, bearer(fixture.keys.revoked))
  } else {
    // The snapshot tenant's own key, used only where it cannot change that tenant.
    Object.assign(headers, { "x-api-key": useSnapshot && mutating ? fixture.keys.revoked : fixture.keys.snapshot })
  }
  if (chance(rng, 0.03)) {
    for (let i = 0; i < 120; i++) headers[`x-fuzz-${i}`] = String(i)
  }

  let body: string | Buffer | undefined
  const shape = rng()
  if (method === "GET" && chance(rng, 0.9)) {
    body = undefined
  } else if (shape < 0.3) {
    body = JSON.stringify(mutate(rng, template(endpoint, fixture, rng)))
  } else if (shape < 0.45) {
    body = Buffer.from(pick(rng, badJson), "latin1")
  } else if (shape < 0.6) {
    body = JSON.stringify(weirdValue(rng))
  } else if (shape < 0.65) {
    body = JSON.stringify({ ...template(endpoint, fixture, rng), name: "x".repeat(pick(rng, [300_000, 1_200_000])) })
  } else if (shape < 0.72) {
    body = chance(rng, 0.5) ? deepArray(pick(rng, [33, 500, 20_000])) : JSON.stringify(deepObject(pick(rng, [40, 2_000])))
  } else if (shape < 0.8) {
    body = JSON.stringify({ ...template(endpoint, fixture, rng), name: pick(rng, ["😀", "ñ", "\u202E", "中文"]).repeat(50) })
  } else if (shape < 0.9) {
    body = JSON.stringify(template(endpoint, fixture, rng))
  }
  if (body !== undefined) {
    headers["content-type"] = pick(rng, [
      "application/json",
      "application/json",
      "application/json",
      "application/json; charset=utf-8",
      "text/plain",
      "multipart/form-data; boundary=fuzz",
      "multipart/form-data",
      "application/x-www-form-urlencoded",
      "application/octet-stream",
      "application/json; charset=utf-16"
    ])
    if (chance(rng, 0.1)) delete headers["content-type"]
  }
  return { method, path, headers, body, target: raw ? "raw" : endpoint.id }
}

interface Outcome {
  readonly status: number
  readonly body: string
  readonly error?: string
}

const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY })

const send = (baseUrl: string, request: FuzzRequest) =>
  new Promise<Outcome>((resolve) => {
    const url = new URL(baseUrl)
    const req = httpRequest({
      host: url.hostname,
      port: url.port,
      method: request.method,
      path: request.path,
      headers: request.headers,
      agent,
      timeout: 30_000
    }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (chunk: Buffer) => chunks.push(chunk))
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8").slice(0, 500) }))
      res.on("error", (error) => resolve({ status: 0, body: "", error: String(error) }))
    })
    // Framed as every real client frames it (without, Node sends GET and DELETE bodies unframed).
    if (request.body !== undefined) req.setHeader("content-length", Buffer.byteLength(request.body))
    req.on("timeout", () => req.destroy(new Error("timed out")))
    req.on("error", (error) => resolve({ status: 0, body: "", error: String(error) }))
    if (request.body !== undefined) req.write(request.body)
    req.end()
  })

let server: RunningServer
let admin: Keyed
let fixture: Fixture

/** Everything of the snapshot tenant an API user can see, secrets included. */
const snapshot = async () => {
  const { tenantId } = fixture.snapshot
  const destinations = (await admin.get(`/v1/tenants/${tenantId}/destinations?limit=200`)).body
  const details = await Promise.all(
    destinations.items.map(async (d: { id: string }) => (await admin.get(`/v1/tenants/${tenantId}/destinations/${d.id}`)).body)
  )
  return {
    tenant: (await admin.get(`/v1/tenants/${tenantId}`)).body,
    sender: (await admin.get(`/v1/senders/${fixture.snapshot.senderId}`)).body,
    destinations,
    details,
    events: (await admin.get(`/v1/tenants/${tenantId}/events?limit=200`)).body,
    // Using a key records when: that is the one change reads may make.
    keys: (await admin.get(`/v1/tenants/${tenantId}/api-keys?limit=200`)).body.items.map(
      ({ lastUsedAt: _, ...key }: Record<string, unknown>) => key
    )
  }
}

beforeAll(async () => {
  server = await startTestServer({
    allowPrivateNetworks: "",
    env: { SIGNAL_ADMIN_KEY: ADMIN_KEY, SIGNAL_API_RATE_LIMIT_PER_SECOND: "0" }
  })
  admin = keyed(server.url, bearer(ADMIN_KEY))
  const ids = async (seed: { tenantId: string; senderId: string }) => {
    const destination = await admin.post(`/v1/tenants/${seed.tenantId}/destinations`, {
      name: "fuzz",
      variant: { type: "http_endpoint", url: "http://fuzz.invalid/hook" },
      active: false
    })
    const event = await admin.post(`/v1/tenants/${seed.tenantId}/events`, {
      senderId: seed.senderId,
      eventType: "fuzz.seed",
      payload: { seeded: true }
    })
    expect(destination.status).toBe(201)
    expect(event.status).toBe(201)
    return {
      ...seed,
      destinationId: destination.body.id,
      eventId: event.body.id,
      intentId: "int_00000000000000000000000000",
      attemptId: "att_00000000000000000000000000",
      keyId: (await createKey(admin, seed.tenantId, "listed")).id
    }
  }
  const playground = await ids(await seedTenant(admin))
  const snapshotTenant = await ids(await seedTenant(admin))
  const revoked = await createKey(admin, playground.tenantId, "revoked")
  await admin.delete(`/v1/tenants/${playground.tenantId}/api-keys/${revoked.id}`)
  fixture = {
    playground,
    snapshot: snapshotTenant,
    keys: {
      playground: (await createKey(admin, playground.tenantId)).key,
      snapshot: (await createKey(admin, snapshotTenant.tenantId)).key,
      revoked: revoked.key
    }
  }
})

afterAll(async () => {
  agent.destroy()
  await server?.stop()
})

describe("fuzz", () => {
  it(`answers ${REQUESTS} random and malformed requests without a 5xx`, async () => {
    const before = await snapshot()
    const statuses = new Map<number, number>()
    const perTarget = new Map<string, number>()
    const failures: Array<{ request: FuzzRequest; outcome: Outcome }> = []
    let next = 0
    const started = Date.now()
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < REQUESTS) {
        const request = makeRequest(next++, fixture)
        const outcome = await send(server.url, request)
        statuses.set(outcome.status, (statuses.get(outcome.status) ?? 0) + 1)
        perTarget.set(request.target, (perTarget.get(request.target) ?? 0) + 1)
        if (outcome.status >= 500 || outcome.status === 0) failures.push({ request, outcome })
      }
    }))
    const elapsed = Date.now() - started
    console.log(
      `fuzz seed=${SEED}: ${REQUESTS} requests in ${elapsed} ms;`,
      JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))
    )

    if (process.env.SIGNAL_FUZZ_DEBUG) {
      // Failures grouped by what they have in common, most frequent first.
      const groups = new Map<string, number>()
      for (const { outcome, request } of failures) {
        const key = [
          outcome.status,
          outcome.error,
          request.method,
          request.headers["content-type"],
          request.body === undefined ? "no body" : `${request.body.length} bytes`,
          outcome.body.slice(0, 120)
        ].join(" | ")
        groups.set(key, (groups.get(key) ?? 0) + 1)
      }
      console.log([...groups].sort((a, b) => b[1] - a[1]).slice(0, 40).map(([key, n]) => `${n}  ${key}`).join("\n"))
    }
    expect(
      failures.slice(0, 5).map(({ outcome, request }) => ({
        status: outcome.status,
        error: outcome.error,
        answer: outcome.body,
        method: request.method,
        path: request.path.slice(0, 200),
        contentType: request.headers["content-type"],
        body: request.body?.toString("latin1").slice(0, 200)
      })),
      `${failures.length} requests failed`
    ).toEqual([])
    for (const endpoint of contractEndpoints) {
      expect(perTarget.get(endpoint.id) ?? 0, endpoint.id).toBeGreaterThanOrEqual(REQUESTS / contractEndpoints.length / 3)
    }

    const ready = await keyed(server.url, {}).get("/ready")
    expect(ready.status).toBe(200)
    expect(await snapshot()).toEqual(before)
  }, 120_000)
})
