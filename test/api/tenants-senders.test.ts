import { describe, expect, it } from "vitest"
import { useTestServer } from "../support/server"
import { expectError } from "./helpers"

const running = useTestServer()

const unique = () => Math.random().toString(36).slice(2, 10)

describe.each([
  { resource: "tenants", prefix: "ten_" },
  { resource: "senders", prefix: "snd_" }
])("$resource", ({ prefix, resource }) => {
  it("upserts by identifier: the second upsert keeps the id and updates the name", async () => {
    const identifier = `acme-${unique()}`
    const first = await running.client.put(`/v1/${resource}`, { identifier, name: "Acme" })
    expect(first.status).toBe(200)
    expect(first.body).toMatchObject({ identifier, name: "Acme" })
    expect(first.body.id).toMatch(new RegExp(`^${prefix}[0-9a-z]{10,40}$`))
    expect(Date.parse(first.body.createdAt)).not.toBeNaN()

    const second = await running.client.put(`/v1/${resource}`, { identifier, name: "Acme Corp" })
    expect(second.status).toBe(200)
    expect(second.body.id).toBe(first.body.id)
    expect(second.body.name).toBe("Acme Corp")
    expect(second.body.createdAt).toBe(first.body.createdAt)
    expect(Date.parse(second.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(first.body.updatedAt))

    const fetched = await running.client.get(`/v1/${resource}/${first.body.id}`)
    expect(fetched.status).toBe(200)
    expect(fetched.body).toMatchObject({ id: first.body.id, identifier, name: "Acme Corp" })
  })

  it("gives different identifiers different ids", async () => {
    const a = await running.client.put(`/v1/${resource}`, { identifier: `a-${unique()}`, name: "A" })
    const b = await running.client.put(`/v1/${resource}`, { identifier: `b-${unique()}`, name: "B" })
    expect(a.status).toBe(200)
    expect(b.status).toBe(200)
    expect(a.body.id).not.toBe(b.body.id)
  })

  it("accepts identifiers with letters, digits, '.', '_', ':' and '-' up to 128 characters", async () => {
    for (const identifier of [`x`, `org.acme_1:eu-${unique()}`, `A${"b".repeat(127)}`]) {
      const response = await running.client.put(`/v1/${resource}`, { identifier, name: "ok" })
      expect(response.status, identifier).toBe(200)
      expect(response.body.identifier).toBe(identifier)
    }
  })

  it("answers 404 for an unknown id", async () => {
    const response = await running.client.get(`/v1/${resource}/${prefix}00000000000000000000000000`)
    expectError(response, 404, "not_found")
  })

  it("answers 400 for a malformed id", async () => {
    const wrongPrefix = prefix === "ten_" ? "snd_00000000000000000000000000" : "ten_00000000000000000000000000"
    for (const id of ["bogus", `${prefix}`, `${prefix}ABC`, wrongPrefix, `${prefix}short`]) {
      const response = await running.client.get(`/v1/${resource}/${id}`)
      expectError(response, 400, "invalid_request")
      expect(response.body._tag).toBe("BadRequest")
      expect(response.body.details).toBeDefined()
    }
  })

  it("answers 400 for malformed identifiers and names", async () => {
    const bad: Array<Record<string, unknown>> = [
      { identifier: "", name: "x" },
      { identifier: "has space", name: "x" },
      { identifier: "-leading-dash", name: "x" },
      { identifier: "slash/inside", name: "x" },
      { identifier: `a${"b".repeat(128)}`, name: "x" },
      { identifier: 42, name: "x" },
      { identifier: `ok-${unique()}`, name: "" },
      { identifier: `ok-${unique()}`, name: "n".repeat(201) },
      { identifier: `ok-${unique()}` },
      { name: "no identifier" }
    ]
    for (const body of bad) {
      const response = await running.client.put(`/v1/${resource}`, body)
      expectError(response, 400, "invalid_request")
    }
  })

  it("refuses a NUL character in a name with 400, not a server error", async () => {
    const response = await running.client.put(`/v1/${resource}`, { identifier: `nul-${unique()}`, name: "a\u0000b" })
    expectError(response, 400)
  })
})

describe("tenants and senders", () => {
  it("are separate namespaces: the same identifier names one tenant and one sender", async () => {
    const identifier = `shared-${unique()}`
    const tenant = await running.client.put("/v1/tenants", { identifier, name: "T" })
    const sender = await running.client.put("/v1/senders", { identifier, name: "S" })
    expect(tenant.body.id).toMatch(/^ten_/)
    expect(sender.body.id).toMatch(/^snd_/)
    expectError(await running.client.get(`/v1/tenants/${sender.body.id}`), 400)
    expect((await running.client.get(`/v1/senders/${sender.body.id}`)).body.name).toBe("S")
    expect((await running.client.get(`/v1/tenants/${tenant.body.id}`)).body.name).toBe("T")
  })

  it("concurrent upserts of one identifier all answer with the same id", async () => {
    const identifier = `race-${unique()}`
    const responses = await Promise.all(
      Array.from({ length: 8 }, (_, i) => running.client.put("/v1/tenants", { identifier, name: `n${i}` }))
    )
    for (const response of responses) expect(response.status).toBe(200)
    expect(new Set(responses.map((r) => r.body.id)).size).toBe(1)
  })
})
