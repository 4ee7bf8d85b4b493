/**
 * Outbound safety end to end: destination URLs are validated when saved, and with the default policy
 * (no private network allowed) a delivery never reaches this machine, however the address is spelled.
 */
import { readFileSync } from "node:fs"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { eventually, seedTenant } from "../support/http"
import { type Receiver, startReceiver } from "../support/receiver"
import { useTestServer } from "../support/server"

const running = useTestServer({ allowPrivateNetworks: "" })
let receiver: Receiver
let port: number

beforeAll(async () => {
  receiver = await startReceiver()
  port = Number(new URL(receiver.url).port)
})

afterAll(async () => {
  await receiver?.close()
})

/** A name other than `localhost` that /etc/hosts maps to a loopback address, if the machine has one. */
const hostsAlias = (): string | undefined => {
  try {
    for (const line of readFileSync("/etc/hosts", "utf8").split("\n")) {
      const [address, ...names] = line.replace(/#.*/, "").trim().split(/\s+/)
      if (address?.startsWith("127.")) {
        const alias = names.find((name) => name !== "" && !name.startsWith("localhost"))
        if (alias !== undefined) return alias
      }
    }
  } catch {
    // no /etc/hosts: the case is skipped
  }
  return undefined
}

describe("outbound address policy, end to end", () => {
  const alias = hostsAlias()
  const targets = [
    ["a DNS name resolving to 127.0.0.1 (localhost)", () => `http://localhost:${port}/hook`],
    ...(alias === undefined ? [] : [[`a name from /etc/hosts (${alias})`, () => `http://${alias}:${port}/hook`] as const]),
    ["an IPv4-mapped IPv6 literal", () => `http://[::ffff:127.0.0.1]:${port}/hook`],
    ["an IPv4-mapped IPv6 literal in hex", () => `http://[::ffff:7f00:1]:${port}/hook`],
    ["the IPv6 loopback", () => `http://[::1]:${port}/hook`],
    ["the unspecified address (reaches this host on Linux)", () => `http://0.0.0.0:${port}/hook`],
    ["a shortened IPv4 (127.1)", () => `http://127.1:${port}/hook`],
    ["a decimal IPv4 (2130706433)", () => `http://2130706433:${port}/hook`],
    ["the cloud metadata address", () => "http://169.254.169.254/latest/meta-data/"]
  ] as const

  it.each(targets)("blocks %s without an allow-list entry", async (_, url) => {
    const { tenantId, senderId } = await seedTenant(running.client)
    const destination = await running.client.post(`/v1/tenants/${tenantId}/destinations`, {
      name: "internal",
      variant: { type: "http_endpoint", url: url() },
      retry: { type: "linear", delaySeconds: 60, maxAttempts: 1 }
    })
    expect(destination.status, JSON.stringify(destination.body)).toBe(201)
    const event = await running.client.post(`/v1/tenants/${tenantId}/events`, {
      senderId,
      eventType: "ssrf.probe",
      payload: {},
      onlyForDestinations: [destination.body.id]
    })
    const intent = await eventually(async () => {
      const found = (await running.client.get(`/v1/tenants/${tenantId}/intents?eventIds=${event.body.id}`)).body.items[0]
      return found?.status === "failed" ? found : undefined
    }, { what: `the blocked delivery to ${url()}` })
    expect(intent.error.code).toBe("blocked_address")
    expect(receiver.requests).toHaveLength(0)
  })

  it("refuses URLs that are not plain http(s) or carry credentials when saved", async () => {
    const { tenantId } = await seedTenant(running.client)
    const { body: valid } = await running.client.post(`/v1/tenants/${tenantId}/destinations`, {
      name: "valid",
      variant: { type: "http_endpoint", url: "https://example.com/hook" }
    })
    for (
      const url of [
        "ftp://example.com/hook",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "gopher://127.0.0.1:6379/_INFO",
        "http://user:secret@example.com/hook",
        "https://:secret@example.com/",
        "//example.com/hook",
        "/relative",
        "not a url",
        "http://",
        `https://example.com/${"a".repeat(2_100)}`
      ]
    ) {
      const created = await running.client.post(`/v1/tenants/${tenantId}/destinations`, {
        name: "bad",
        variant: { type: "http_endpoint", url }
      })
      expect(created.status, url).toBe(400)
      expect(created.body.code, url).toBe("invalid_request")
      const updated = await running.client.patch(`/v1/tenants/${tenantId}/destinations/${valid.id}`, {
        variant: { type: "http_endpoint", url }
      })
      expect(updated.status, url).toBe(400)
    }
    expect((await running.client.get(`/v1/tenants/${tenantId}/destinations`)).body.items).toHaveLength(1)
  })
})
