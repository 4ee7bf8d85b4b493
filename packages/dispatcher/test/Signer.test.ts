import { describe, expect, it } from "@effect/vitest"
import { createHmac, timingSafeEqual } from "node:crypto"
import { Webhook } from "standardwebhooks"
import { generateSigningSecret } from "@signal/domain/SigningSecret"
import { signalSignature, signatureHeaders, signingKey, standardSignature } from "../src/Signer"

// Independent re-implementation of the Standard Webhooks check, so we do not grade our own homework.
const verifyByHand = (secret: string, headers: Record<string, string>, body: string): boolean => {
  const key = Buffer.from(secret.slice("whsec_".length), "base64")
  const expected = createHmac("sha256", key)
    .update(`${headers["webhook-id"]}.${headers["webhook-timestamp"]}.${body}`)
    .digest()
  return (headers["webhook-signature"] ?? "").split(" ").some((part) => {
    const [version, signature] = part.split(",")
    const actual = Buffer.from(signature ?? "", "base64")
    return version === "v1" && actual.length === expected.length && timingSafeEqual(actual, expected)
  })
}

const body = JSON.stringify({
  id: "evt_123",
  type: "payment.created",
  topics: ["eu"],
  payload: { amount: 4200, note: "café ☕ \n spaces  kept" },
  tenantId: "ten_1",
  senderId: "snd_1",
  createdAt: "2025-01-01T00:00:00.000Z"
})
const now = () => Math.floor(Date.now() / 1000)

describe("Signer", () => {
  it("generates whsec_ secrets of 24 random bytes", () => {
    const a = generateSigningSecret()
    const b = generateSigningSecret()
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/)
    expect(Buffer.from(a.slice(6), "base64")).toHaveLength(24)
    expect(a).not.toBe(b)
  })

  it("x-signal-signature is the hex HMAC-SHA256 of the body keyed with the whole secret string", () => {
    const secret = generateSigningSecret()
    const expected = createHmac("sha256", Buffer.from(secret, "utf8")).update(Buffer.from(body, "utf8")).digest("hex")
    expect(signalSignature(secret, body)).toBe(expected)
    expect(signalSignature(secret, body)).toMatch(/^[0-9a-f]{64}$/)
    expect(signalSignature(secret, body + " ")).not.toBe(expected)
  })

  it("standardSignature matches the standardwebhooks library's own signer", () => {
    const secret = generateSigningSecret()
    const ts = now()
    expect(standardSignature(secret, "int_1", ts, body)).toBe(new Webhook(secret).sign("int_1", new Date(ts * 1000), body))
  })

  it("headers verify with the official standardwebhooks package and with node:crypto", () => {
    const secret = generateSigningSecret()
    const headers = signatureHeaders({ keys: [signingKey(secret)], msgId: "int_abc", timestampSeconds: now(), body })
    expect(headers["webhook-id"]).toBe("int_abc")
    expect(headers["webhook-signature"].split(" ")).toHaveLength(1)
    expect(headers["x-signal-signature"]).toBe(signalSignature(secret, body))
    expect(new Webhook(secret).verify(body, { ...headers })).toEqual(JSON.parse(body))
    expect(verifyByHand(secret, { ...headers }, body)).toBe(true)
  })

  it("rejects a tampered body, a wrong secret and a moved timestamp", () => {
    const secret = generateSigningSecret()
    const ts = now()
    const headers = { ...signatureHeaders({ keys: [signingKey(secret)], msgId: "int_abc", timestampSeconds: ts, body }) }
    expect(() => new Webhook(secret).verify(body.replace("4200", "4201"), headers)).toThrow()
    expect(() => new Webhook(generateSigningSecret()).verify(body, headers)).toThrow()
    expect(() => new Webhook(secret).verify(body, { ...headers, "webhook-timestamp": String(ts + 1) })).toThrow()
    expect(verifyByHand(secret, headers, body.replace("4200", "4201"))).toBe(false)
    expect(verifyByHand(generateSigningSecret(), headers, body)).toBe(false)
  })

  it("during rotation both the current and the previous secret verify", () => {
    const current = generateSigningSecret()
    const previous = generateSigningSecret()
    const headers = { ...signatureHeaders({ keys: [signingKey(current), signingKey(previous)], msgId: "int_rot", timestampSeconds: now(), body }) }
    expect(headers["webhook-signature"].split(" ")).toHaveLength(2)
    expect(headers["webhook-signature"]).toMatch(/^v1,\S+ v1,\S+$/)
    // x-signal-signature is always made with the current secret
    expect(headers["x-signal-signature"]).toBe(signalSignature(current, body))
    for (const secret of [current, previous]) {
      expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body))
      expect(verifyByHand(secret, headers, body)).toBe(true)
    }
    expect(() => new Webhook(generateSigningSecret()).verify(body, headers)).toThrow()
  })
})
