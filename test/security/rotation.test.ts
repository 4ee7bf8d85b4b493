/**
 * Signing secret rotation: during the grace period every delivery carries a signature from the new
 * and from the old secret (either verifies, with the official Standard Webhooks package and with a
 * plain HMAC); after it only the new one does. The old secret never shows in the API.
 */
import { type RunningServer, startTestServer } from "@signal/server/TestServer"
import { createHmac } from "node:crypto"
import { Webhook } from "standardwebhooks"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { api, type Api, eventually, seedTenant } from "../support/http"
import { type ReceivedRequest, type Receiver, startReceiver } from "../support/receiver"

let server: RunningServer
let client: Api
let receiver: Receiver

beforeAll(async () => {
  server = await startTestServer()
  client = api(server.url)
  receiver = await startReceiver()
})

afterAll(async () => {
  await receiver?.close()
  await server?.stop()
})

/** Publishes one event for one destination and returns the request the receiver got for it. */
const deliverOne = async (tenantId: string, senderId: string, destinationId: string, label: string) => {
  const before = receiver.requests.length
  const event = await client.post(`/v1/tenants/${tenantId}/events`, {
    senderId,
    eventType: "rotation.check",
    payload: { label },
    onlyForDestinations: [destinationId]
  })
  expect(event.status).toBe(201)
  return eventually(async () =>
    receiver.requests.slice(before).find((request) => JSON.parse(request.body).id === event.body.id), {
    what: `delivery of ${label}`
  })
}

const standardHeaders = (received: ReceivedRequest) => ({
  "webhook-id": String(received.headers["webhook-id"]),
  "webhook-timestamp": String(received.headers["webhook-timestamp"]),
  "webhook-signature": String(received.headers["webhook-signature"])
})

/** What a receiver holding `secret` concludes, checked three ways that must agree. */
const verifies = (received: ReceivedRequest, secret: string): boolean => {
  let official = true
  try {
    new Webhook(secret).verify(received.body, standardHeaders(received))
  } catch {
    official = false
  }
  const headers = standardHeaders(received)
  const expected = "v1," + createHmac("sha256", Buffer.from(secret.slice("whsec_".length), "base64"))
    .update(`${headers["webhook-id"]}.${headers["webhook-timestamp"]}.${received.body}`)
    .digest("base64")
  const plain = headers["webhook-signature"].split(" ").includes(expected)
  expect(plain, "plain HMAC and standardwebhooks disagree").toBe(official)
  return official
}

const signalSignature = (received: ReceivedRequest) => String(received.headers["x-signal-signature"])
const hexHmac = (secret: string, body: string) => createHmac("sha256", secret).update(body).digest("hex")

describe("POST /v1/tenants/:tenantId/destinations/:destinationId/rotate-secret", () => {
  it("signs with both secrets during the grace period and with the new one only after it", async () => {
    const { tenantId, senderId } = await seedTenant(client)
    const created = await client.post(`/v1/tenants/${tenantId}/destinations`, {
      name: "rotating",
      variant: { type: "http_endpoint", url: receiver.url }
    })
    expect(created.status).toBe(201)
    const destinationId: string = created.body.id
    const oldSecret: string = created.body.webhook.signingSecret

    const deliver = (label: string) => deliverOne(tenantId, senderId, destinationId, label)

    const first = await deliver("before")
    expect(verifies(first, oldSecret)).toBe(true)
    expect(String(first.headers["webhook-signature"]).split(" ")).toHaveLength(1)

    const rotated = await client.post(`/v1/tenants/${tenantId}/destinations/${destinationId}/rotate-secret`, {
      graceSeconds: 2
    })
    const rotatedAt = Date.now()
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(200)
    const newSecret: string = rotated.body.webhook.signingSecret
    expect(newSecret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/)
    expect(newSecret).not.toBe(oldSecret)
    expect((await client.get(`/v1/tenants/${tenantId}/destinations/${destinationId}`)).body.webhook.signingSecret)
      .toBe(newSecret)

    const during = await deliver("during")
    expect(Date.now() - rotatedAt, "the grace period ended before the check").toBeLessThan(2_000)
    expect(String(during.headers["webhook-signature"]).split(" ")).toHaveLength(2)
    expect(verifies(during, newSecret)).toBe(true)
    expect(verifies(during, oldSecret)).toBe(true)
    expect(signalSignature(during)).toBe(hexHmac(newSecret, during.body))

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, rotatedAt + 2_200 - Date.now())))
    const after = await deliver("after")
    expect(String(after.headers["webhook-signature"]).split(" ")).toHaveLength(1)
    expect(verifies(after, newSecret)).toBe(true)
    expect(verifies(after, oldSecret)).toBe(false)
    expect(signalSignature(after)).toBe(hexHmac(newSecret, after.body))

    // The replaced secrets appear in no API answer: not the destination, its list, its intents or attempts.
    const answers = await Promise.all([
      client.get(`/v1/tenants/${tenantId}/destinations/${destinationId}`),
      client.get(`/v1/tenants/${tenantId}/destinations`),
      client.get(`/v1/tenants/${tenantId}/intents?destinationIds=${destinationId}`),
      client.get(`/v1/tenants/${tenantId}/attempts`)
    ])
    for (const answer of answers) expect(JSON.stringify(answer.body)).not.toContain(oldSecret.slice(6))
  })

  it("defaults to a day of grace when sent without a body, and keeps both secrets signing", async () => {
    const { tenantId, senderId } = await seedTenant(client)
    const created = (await client.post(`/v1/tenants/${tenantId}/destinations`, {
      name: "default-grace",
      variant: { type: "http_endpoint", url: receiver.url }
    })).body
    const response = await fetch(`${server.url}/v1/tenants/${tenantId}/destinations/${created.id}/rotate-secret`, {
      method: "POST"
    })
    expect(response.status).toBe(200)
    const rotated: any = await response.json()
    const received = await deliverOne(tenantId, senderId, created.id, "rotation.default")
    expect(verifies(received, rotated.webhook.signingSecret)).toBe(true)
    expect(verifies(received, created.webhook.signingSecret)).toBe(true)
  })

  it("ends the old secret at once with graceSeconds 0", async () => {
    const { tenantId, senderId } = await seedTenant(client)
    const created = (await client.post(`/v1/tenants/${tenantId}/destinations`, {
      name: "no-grace",
      variant: { type: "http_endpoint", url: receiver.url }
    })).body
    const rotated = (await client.post(`/v1/tenants/${tenantId}/destinations/${created.id}/rotate-secret`, {
      graceSeconds: 0
    })).body
    const received = await deliverOne(tenantId, senderId, created.id, "rotation.none")
    expect(verifies(received, rotated.webhook.signingSecret)).toBe(true)
    expect(verifies(received, created.webhook.signingSecret)).toBe(false)
  })

  it("ends every earlier secret still in its grace with graceSeconds 0 (a leaked secret)", async () => {
    const { tenantId, senderId } = await seedTenant(client)
    const created = (await client.post(`/v1/tenants/${tenantId}/destinations`, {
      name: "leaked",
      variant: { type: "http_endpoint", url: receiver.url }
    })).body
    const rotate = (graceSeconds: number) =>
      client.post(`/v1/tenants/${tenantId}/destinations/${created.id}/rotate-secret`, { graceSeconds })
    const second = (await rotate(3600)).body
    const during = await deliverOne(tenantId, senderId, created.id, "rotation.stacked")
    expect(verifies(during, created.webhook.signingSecret)).toBe(true)
    const third = (await rotate(0)).body
    const received = await deliverOne(tenantId, senderId, created.id, "rotation.leaked")
    expect(String(received.headers["webhook-signature"]).split(" ")).toHaveLength(1)
    expect(verifies(received, third.webhook.signingSecret)).toBe(true)
    expect(verifies(received, second.webhook.signingSecret)).toBe(false)
    expect(verifies(received, created.webhook.signingSecret)).toBe(false)
  })

  it("refuses bad grace periods and unknown destinations", async () => {
    const { tenantId } = await seedTenant(client)
    const created = (await client.post(`/v1/tenants/${tenantId}/destinations`, {
      name: "bad-input",
      variant: { type: "http_endpoint", url: receiver.url }
    })).body
    const rotate = `/v1/tenants/${tenantId}/destinations/${created.id}/rotate-secret`
    for (const body of [{ graceSeconds: -1 }, { graceSeconds: 1.5 }, { graceSeconds: "60" }, { graceSeconds: 1e12 }, JSON.stringify("x")]) {
      const response = await client.post(rotate, body)
      expect(response.status, JSON.stringify(body)).toBe(400)
      expect(response.body.code).toBe("invalid_request")
    }
    const unknown = await client.post(`/v1/tenants/${tenantId}/destinations/dst_00000000000000000000000000/rotate-secret`)
    expect(unknown.status).toBe(404)
    // Nothing of the refused calls changed the secret.
    expect((await client.get(`/v1/tenants/${tenantId}/destinations/${created.id}`)).body.webhook.signingSecret)
      .toBe(created.webhook.signingSecret)
  })

  it("lists destinations without their signing secrets", async () => {
    const { tenantId } = await seedTenant(client)
    const created = (await client.post(`/v1/tenants/${tenantId}/destinations`, {
      name: "listed",
      variant: { type: "http_endpoint", url: receiver.url }
    })).body
    const listed = (await client.get(`/v1/tenants/${tenantId}/destinations`)).body.items
    expect(listed).toHaveLength(1)
    expect(listed[0].webhook).toEqual({ url: receiver.url })
    expect(JSON.stringify(listed)).not.toContain(created.webhook.signingSecret.slice(6))
  })
})
