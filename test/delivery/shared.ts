import { expect } from "vitest"
import { type Api, eventually } from "../support/http"

/** The sweeper out of reach: only the wakes sent at publish (or on a change) can start a delivery. */
export const NO_SWEEP = { SIGNAL_SWEEP_INTERVAL_MS: "600000" }

/** Entities of a type alive in a Signal process, from its `/metrics` (the cluster refreshes it every second). */
export const entitiesOf = async (url: string, type: string) => {
  const text = await (await fetch(`${url}/metrics`)).text()
  const line = new RegExp(`^effect_cluster_entities\\{type="${type}"\\} (\\d+)$`, "m").exec(text)
  expect(line, `the cluster's entity gauge for ${type} is exported`).not.toBeNull()
  return Number(line![1])
}

/** Small helpers shared by the delivery tests: create, publish, wait. */
export const deliveryHelpers = (client: Api) => {
  const createDestination = async (tenantId: string, url: string, fields: Record<string, unknown> = {}) => {
    const response = await client.post(`/v1/tenants/${tenantId}/destinations`, {
      name: "receiver",
      variant: { type: "http_endpoint", url, method: "POST" },
      ...fields
    })
    expect(response.status).toBe(201)
    return response.body
  }

  const publish = async (tenantId: string, senderId: string, fields: Record<string, unknown> = {}) => {
    const response = await client.post(`/v1/tenants/${tenantId}/events`, {
      senderId,
      eventType: "payment.created",
      topics: ["payments"],
      payload: { amount: 1000, currency: "USD" },
      ...fields
    })
    expect(response.status).toBe(201)
    return response.body
  }

  const publishMany = async (tenantId: string, senderId: string, count: number, fields: Record<string, unknown> = {}) => {
    const events = Array.from({ length: count }, (_, i) => ({
      senderId,
      eventType: "payment.created",
      payload: { n: i },
      ...fields
    }))
    const response = await client.post(`/v1/tenants/${tenantId}/events/batch`, { events })
    expect(response.status).toBe(201)
    return response.body.items as Array<any>
  }

  const attemptsOf = async (tenantId: string, eventId: string) =>
    (await client.get(`/v1/tenants/${tenantId}/attempts?eventIds=${eventId}&order=asc&limit=50`)).body.items as Array<any>

  const intentOf = async (tenantId: string, eventId: string) =>
    (await client.get(`/v1/tenants/${tenantId}/intents?eventIds=${eventId}`)).body.items[0]

  const settled = (tenantId: string, eventId: string, timeoutMs = 15_000) =>
    eventually(async () => {
      const intent = await intentOf(tenantId, eventId)
      return intent && (intent.status === "succeeded" || intent.status === "failed") ? intent : undefined
    }, { timeoutMs, what: `intent of ${eventId} to finish` })

  /** Waits until no intent of the destination is pending or retrying. */
  const drained = (tenantId: string, destinationId: string, timeoutMs = 30_000) =>
    eventually(async () => {
      const open = await client.get(
        `/v1/tenants/${tenantId}/intents?destinationIds=${destinationId}&status=pending,retrying&limit=1`
      )
      return open.body.items.length === 0 ? true : undefined
    }, { timeoutMs, what: `destination ${destinationId} to drain`, intervalMs: 100 })

  return { createDestination, publish, publishMany, attemptsOf, intentOf, settled, drained }
}
