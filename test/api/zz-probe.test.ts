import { startTestServer, type RunningServer } from "@signal/server/TestServer"
import { afterAll, beforeAll, it } from "vitest"
import { api, type Api, seedTenant, request } from "../support/http"

let server: RunningServer
let client: Api
beforeAll(async () => { const t = Date.now(); server = await startTestServer(); client = api(server.url); console.log("start ms", Date.now() - t) })
afterAll(async () => { await server?.stop() })

it("probe", async () => {
  const out: Array<unknown> = []
  const log = (label: string, r: any) => out.push([label, r.status, typeof r.body === "string" ? r.body.slice(0, 300) : JSON.stringify(r.body).slice(0, 400)])
  const { tenantId, senderId } = await seedTenant(client)
  log("bad tenant id", await client.get("/v1/tenants/bogus"))
  log("unknown tenant", await client.get("/v1/tenants/ten_0000000000000000000000000"))
  log("bad identifier", await client.put("/v1/tenants", { identifier: "-bad id", name: "x" }))
  log("nul name", await client.put("/v1/tenants", { identifier: "nul", name: "a\u0000b" }))
  log("invalid json", await client.post(`/v1/tenants/${tenantId}/events`, "{not json"))
  log("big", await client.post(`/v1/tenants/${tenantId}/events`, JSON.stringify({ senderId, eventType: "x", payloadJson: "x".repeat(1024 * 1024 + 10) })))
  log("unknown route", await client.get("/nope"))
  log("wrong method", await client.delete("/v1/tenants"))
  const d = await client.post(`/v1/tenants/${tenantId}/destinations`, { name: "d", variant: { type: "http_endpoint", url: "https://example.invalid/h" } })
  log("dest", d)
  log("cursor huge", await client.get(`/v1/tenants/${tenantId}/destinations?cursor=9999999999999999999`))
  log("cursor bad", await client.get(`/v1/tenants/${tenantId}/destinations?cursor=abc`))
  log("limit 0", await client.get(`/v1/tenants/${tenantId}/destinations?limit=0`))
  log("limit x", await client.get(`/v1/tenants/${tenantId}/events?limit=x`))
  log("createdAfter bad", await client.get(`/v1/tenants/${tenantId}/events?createdAfter=nope`))
  log("status bad", await client.get(`/v1/tenants/${tenantId}/events?status=nope`))
  log("payload nul", await client.post(`/v1/tenants/${tenantId}/events`, { senderId, eventType: "x", payload: { a: "\u0000" } }))
  log("payloadJson nul", await client.post(`/v1/tenants/${tenantId}/events`, { senderId, eventType: "x", payloadJson: JSON.stringify({ a: "\u0000" }) }))
  log("type nul", await client.post(`/v1/tenants/${tenantId}/events`, { senderId, eventType: "x\u0000", payload: 1 }))
  log("idem nul", await client.post(`/v1/tenants/${tenantId}/events`, { senderId, eventType: "x", payload: 1, idempotencyKey: "\u0000" }))
  log("event ok", await client.post(`/v1/tenants/${tenantId}/events`, { senderId, eventType: "x", payload: 1 }))
  log("ndjson content type", await request(server.url, "POST", `/v1/tenants/${tenantId}/events`, JSON.stringify({ senderId, eventType: "x", payload: 1 }), { "content-type": "text/plain" }))
  log("no body", await request(server.url, "POST", `/v1/tenants/${tenantId}/events`))
  log("array body", await client.post(`/v1/tenants/${tenantId}/events`, []))
  log("openapi", await client.get("/openapi.json"))
  log("docs", await client.get("/docs"))
  log("health", await client.get("/health"))
  log("ready", await client.get("/ready"))
  const http = await import("node:http")
  const big = JSON.stringify({ senderId, eventType: "x", payloadJson: "x".repeat(1024 * 1024 + 100) })
  const res = await new Promise<any>((resolve) => {
    const req = http.request(`${server.url}/v1/tenants/${tenantId}/events`, { method: "POST", headers: { "content-type": "application/json", "transfer-encoding": "chunked" } }, (resp) => {
      let t = ""; resp.on("data", (c) => t += c); resp.on("end", () => resolve([resp.statusCode, t]))
    })
    req.on("error", (e) => resolve(["error", String(e)]))
    for (let i = 0; i < big.length; i += 65536) req.write(big.slice(i, i + 65536))
    req.end()
  })
  out.push(["chunked big", res])
  console.log("PROBE" + JSON.stringify(out, null, 1))
})
