import { describe, expect, it } from "vitest"
import { seedTenant } from "../support/http"
import { useTestServer } from "../support/server"
import { createDestination, expectError, nowhere, publish, sorted } from "./helpers"

const running = useTestServer()

const routedTo = async (tenantId: string, eventId: string) => {
  const response = await running.client.get(`/v1/tenants/${tenantId}/intents?eventIds=${eventId}&limit=100`)
  expect(response.status).toBe(200)
  return sorted(response.body.items.map((intent: any) => intent.destinationId))
}

describe("wildcard subscriptions", () => {
  it("routes events to destinations whose type and topic patterns match", async () => {
    const { tenantId, senderId } = await seedTenant(running.client)
    const make = (name: string, fields: Record<string, unknown>) =>
      createDestination(running.client, tenantId, { name, ...fields })
    const payments = await make("payments", { eventTypes: ["payment.*"] })
    const failures = await make("failures", { eventTypes: ["*.failed"] })
    const everything = await make("everything", { eventTypes: ["*"] })
    const exact = await make("exact", { eventTypes: ["payment.created"] })
    const europe = await make("europe", { topics: ["eu.*"] })
    const orders = await make("orders", { eventTypes: ["order.*"], topics: ["*.east"] })
    expect(payments.eventTypes).toEqual(["payment.*"])
    expect(europe.topics).toEqual(["eu.*"])

    const cases: Array<[Record<string, unknown>, Array<any>]> = [
      [{ eventType: "payment.created" }, [payments, everything, exact]],
      [{ eventType: "payment.failed" }, [payments, failures, everything]],
      [{ eventType: "payment.card.failed", topics: ["eu.west"] }, [payments, everything, europe]],
      [{ eventType: "order.created", topics: ["us.east"] }, [everything, orders]],
      [{ eventType: "order.created", topics: ["us.west"] }, [everything]],
      [{ eventType: "invoice", topics: ["eu"] }, [everything]]
    ]
    for (const [fields, expected] of cases) {
      const event = await publish(running.client, tenantId, senderId, fields)
      expect(event.destinationCount, JSON.stringify(fields)).toBe(expected.length)
      expect(await routedTo(tenantId, event.id), JSON.stringify(fields)).toEqual(sorted(expected.map((d) => d.id)))
    }
  })

  it("applies a changed pattern to the next event", async () => {
    const { tenantId, senderId } = await seedTenant(running.client)
    const destination = await createDestination(running.client, tenantId, { eventTypes: ["user.*"] })
    const before = await publish(running.client, tenantId, senderId, { eventType: "account.closed" })
    expect(before.destinationCount).toBe(0)
    const patched = await running.client.patch(`/v1/tenants/${tenantId}/destinations/${destination.id}`, {
      eventTypes: ["account.*", "user.*"]
    })
    expect(patched.status).toBe(200)
    const after = await publish(running.client, tenantId, senderId, { eventType: "account.closed" })
    expect(await routedTo(tenantId, after.id)).toEqual([destination.id])
  })

  it("refuses malformed patterns with 400 invalid_request", async () => {
    const { tenantId } = await seedTenant(running.client)
    for (const bad of ["pay*", "payment.*x", "payment..*", "*.", ""]) {
      const created = await running.client.post(`/v1/tenants/${tenantId}/destinations`, {
        name: "bad",
        variant: { type: "http_endpoint", url: nowhere() },
        eventTypes: [bad]
      })
      expectError(created, 400, "invalid_request")
      const topics = await running.client.post(`/v1/tenants/${tenantId}/destinations`, {
        name: "bad",
        variant: { type: "http_endpoint", url: nowhere() },
        topics: [bad]
      })
      expectError(topics, 400, "invalid_request")
    }
    const destination = await createDestination(running.client, tenantId)
    const patched = await running.client.patch(`/v1/tenants/${tenantId}/destinations/${destination.id}`, {
      eventTypes: ["order*"]
    })
    expectError(patched, 400, "invalid_request")
    expect(JSON.stringify(patched.body)).toContain("whole segment")
  })
})
