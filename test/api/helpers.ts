import { expect } from "vitest"
import type { Api } from "../support/http"

/** A URL that never resolves: for destinations whose deliveries the test does not care about. */
export const nowhere = (name = "hook") => `https://example.invalid/${name}`

export const createDestination = async (
  client: Api,
  tenantId: string,
  fields: Record<string, unknown> = {},
  url: string = nowhere()
) => {
  const response = await client.post(`/v1/tenants/${tenantId}/destinations`, {
    name: "destination",
    variant: { type: "http_endpoint", url },
    ...fields
  })
  expect(response.status, JSON.stringify(response.body)).toBe(201)
  return response.body
}

export const publish = async (client: Api, tenantId: string, senderId: string, fields: Record<string, unknown> = {}) => {
  const response = await client.post(`/v1/tenants/${tenantId}/events`, {
    senderId,
    eventType: "order.created",
    payload: { n: 1 },
    ...fields
  })
  expect(response.status, JSON.stringify(response.body)).toBe(201)
  return response.body
}

/** Expects a client error with the stable `{ code, message }` body. */
export const expectError = (response: { status: number; body: any }, status: number, code?: string) => {
  expect(response.status, JSON.stringify(response.body)).toBe(status)
  expect(typeof response.body).toBe("object")
  expect(typeof response.body.code).toBe("string")
  expect(typeof response.body.message).toBe("string")
  if (code !== undefined) expect(response.body.code).toBe(code)
}

/**
 * Follows nextCursor until hasMore is false; `between` runs after every page (to insert rows
 * concurrently). Checks the page envelope on the way.
 */
export const walk = async (
  client: Api,
  path: string,
  options: { limit: number; order?: "asc" | "desc"; between?: (page: number) => Promise<void> }
): Promise<Array<any>> => {
  const items: Array<any> = []
  let cursor: string | null = null
  for (let page = 0; page < 1000; page++) {
    const separator = path.includes("?") ? "&" : "?"
    const query: string = `limit=${options.limit}${options.order ? `&order=${options.order}` : ""}${cursor ? `&cursor=${cursor}` : ""}`
    const response: { status: number; body: any } = await client.get(`${path}${separator}${query}`)
    expect(response.status, JSON.stringify(response.body)).toBe(200)
    const body: { items: Array<any>; hasMore: boolean; nextCursor: string | null } = response.body
    expect(Array.isArray(body.items)).toBe(true)
    expect(body.items.length).toBeLessThanOrEqual(options.limit)
    items.push(...body.items)
    if (!body.hasMore) {
      expect(body.nextCursor).toBeNull()
      return items
    }
    expect(body.items.length).toBe(options.limit)
    expect(typeof body.nextCursor).toBe("string")
    cursor = body.nextCursor
    await options.between?.(page)
  }
  throw new Error("pagination did not end")
}

export const ids = (items: ReadonlyArray<{ id: string }>) => items.map((item) => item.id)

export const sorted = (values: Iterable<string>) => [...values].sort()
