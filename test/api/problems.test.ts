import { operations } from "@signal/client/Operations"
import { describe, expect, it } from "vitest"
import { request, seedTenant } from "../support/http"
import { useTestServer } from "../support/server"
import { expectError } from "./helpers"

const running = useTestServer()

/** A readable answer: one line, no Schema tree, every problem in `details` with its path. */
const expectReadable = (response: { status: number; body: any }, label: string) => {
  expectError(response, 400, "invalid_request")
  const { details, message } = response.body
  expect(message, label).not.toMatch(/[└├│]|Encoded side|Type side|\n/)
  expect(Array.isArray(details), label).toBe(true)
  expect(details.length, label).toBeGreaterThan(0)
  for (const problem of details) {
    expect(Array.isArray(problem.path), label).toBe(true)
    expect(typeof problem.message, label).toBe("string")
    expect(message, label).toContain(problem.message)
  }
  return response.body as { message: string; details: Array<{ path: Array<string | number>; message: string }> }
}

describe("validation errors people can read", () => {
  it("names a missing field in one sentence", async () => {
    const { senderId, tenantId } = await seedTenant(running.client)
    const body = expectReadable(await running.client.post(`/v1/tenants/${tenantId}/events`, { senderId }), "events")
    expect(body.message).toBe("eventType is missing")
    expect(body.details).toEqual([{ path: ["eventType"], message: "eventType is missing" }])
  })

  it("refuses a body field the contract does not know, nested ones too, and names it", async () => {
    const { senderId, tenantId } = await seedTenant(running.client)
    const typo = expectReadable(
      await running.client.post(`/v1/tenants/${tenantId}/events`, { senderId, eventType: "x", payLoad: { amount: 1 } }),
      "events"
    )
    expect(typo.details).toEqual([{ path: ["payLoad"], message: "payLoad is not a known field" }])
    const nested = expectReadable(
      await running.client.post(`/v1/tenants/${tenantId}/destinations`, {
        name: "typo",
        variant: { type: "http_endpoint", url: "https://example.invalid/hook" },
        retry: { type: "linear", delaySeconds: 1, maxAttempt: 3 }
      }),
      "destinations"
    )
    expect(nested.details.map((problem) => problem.path)).toContainEqual(["retry", "maxAttempt"])
    const batch = expectReadable(
      await running.client.post(`/v1/tenants/${tenantId}/events/batch`, {
        events: [{ senderId, eventType: "x" }, { senderId, eventType: "x", tenantId }]
      }),
      "batch"
    )
    expect(batch.details).toEqual([{ path: ["events", 1, "tenantId"], message: "events[1].tenantId is not a known field" }])
    expect((await running.client.get(`/v1/tenants/${tenantId}/events`)).body.items).toEqual([])
    // a query parameter it does not know is still ignored (a cache buster, say)
    expect((await running.client.get(`/v1/tenants/${tenantId}/events?_=123`)).status).toBe(200)
  })

  it("lists every problem of a body, nested ones by their dotted path", async () => {
    const { tenantId } = await seedTenant(running.client)
    const response = await running.client.post(`/v1/tenants/${tenantId}/destinations`, {
      retry: { type: "exponential", delaySeconds: 60, maxAttempts: 500 },
      variant: { type: "http_endpoint", url: "https://example.invalid/hook" },
      timeoutSeconds: "soon"
    })
    const body = expectReadable(response, "destinations")
    const sentences = body.details.map((problem) => problem.message)
    expect(sentences).toContain("name is missing")
    expect(sentences).toContain("retry.maxAttempts must be between 1 and 100 (got 500)")
    expect(sentences.some((s) => s.startsWith("timeoutSeconds must be"))).toBe(true)
    expect(body.details.find((p) => p.message.startsWith("retry."))?.path).toEqual(["retry", "maxAttempts"])
  })

  it("answers the same way on every operation of the contract", async () => {
    const { tenantId } = await seedTenant(running.client)
    let checked = 0
    for (const operation of operations) {
      const label = `${operation.method} ${operation.path} (${operation.id})`
      if (operation.pathParams.length > 0) {
        // an id of the wrong kind in the path
        const path = operation.path.replace(/:(\w+)/g, (_, name: string) => (name === "tenantId" ? "not-an-id" : "not-an-id"))
        const response = await request(running.server.url, operation.method, path, operation.hasPayload ? {} : undefined)
        expectReadable(response, label)
        checked++
      }
      if (operation.urlParams.some((p) => p.name === "limit")) {
        const path = operation.path.replace(":tenantId", tenantId).replace(/:(\w+)/g, "x")
        expectReadable(await request(running.server.url, operation.method, `${path}?limit=lots`, undefined), `${label} ?limit`)
        checked++
      }
      if (operation.hasPayload && !operation.payloadNullable && operation.pathParams.every((p) => p.wire === "tenantId")) {
        const path = operation.path.replace(":tenantId", tenantId)
        expectReadable(await request(running.server.url, operation.method, path, [1, 2]), `${label} body`)
        checked++
      }
    }
    expect(checked).toBeGreaterThan(operations.length)
  })
})
