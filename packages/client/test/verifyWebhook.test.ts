import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { createHmac, randomBytes } from "node:crypto"
import { Webhook } from "standardwebhooks"
import { assertWebhook, inspectWebhook, verifyWebhook, verifyWebhookEffect, WebhookVerificationError } from "../src/verifyWebhook"

const newSecret = () => `whsec_${randomBytes(24).toString("base64")}`

const body = JSON.stringify({
  id: "evt_01jabcdefghjkmnpqrstvwxyz0",
  type: "payment.created",
  topics: ["payments"],
  payload: { amount: 1000, currency: "EUR", note: "naïve café ☕" },
  tenantId: "ten_01jabcdefghjkmnpqrstvwxyz0",
  senderId: "snd_01jabcdefghjkmnpqrstvwxyz0",
  createdAt: "2025-01-01T00:00:00.000Z"
})

const msgId = "int_01jabcdefghjkmnpqrstvwxyz0"
const now = new Date("2025-06-01T12:00:00.000Z")
const nowSeconds = Math.floor(now.getTime() / 1000)

/** Headers as the official Standard Webhooks library produces them. */
const officialHeaders = (secret: string, at: Date = now, payload: string = body) => ({
  "webhook-id": msgId,
  "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
  "webhook-signature": new Webhook(secret).sign(msgId, at, payload)
})

/** Independent HMAC code, written from the specification rather than from our verifier. */
const independentStandardSignature = (secret: string, id: string, timestamp: number, payload: string) => {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64")
  return "v1," + createHmac("sha256", key).update(`${id}.${timestamp}.${payload}`).digest("base64")
}
const independentSignalSignature = (secret: string, payload: string) =>
  createHmac("sha256", secret).update(payload).digest("hex")

describe("verifyWebhook: Standard Webhooks", () => {
  it("accepts a signature made by the official standardwebhooks package", () => {
    const secret = newSecret()
    const headers = officialHeaders(secret)
    expect(verifyWebhook({ body, headers, secret, now })).toBe(true)
    // and the official verifier agrees with what we accept
    expect(() => new Webhook(secret).verify(body, headers)).toThrow(/timestamp/i) // its clock is the real one
    const fresh = officialHeaders(secret, new Date())
    expect(new Webhook(secret).verify(body, fresh)).toEqual(JSON.parse(body))
    expect(verifyWebhook({ body, headers: fresh, secret })).toBe(true)
  })

  it("accepts a signature made by independent HMAC code", () => {
    const secret = newSecret()
    const headers = {
      "webhook-id": msgId,
      "webhook-timestamp": String(nowSeconds),
      "webhook-signature": independentStandardSignature(secret, msgId, nowSeconds, body)
    }
    expect(inspectWebhook({ body, headers, secret, now })).toEqual({
      ok: true,
      scheme: "standard",
      messageId: msgId,
      timestamp: nowSeconds
    })
  })

  it("rejects a wrong secret", () => {
    const headers = officialHeaders(newSecret())
    expect(inspectWebhook({ body, headers, secret: newSecret(), now })).toMatchObject({ ok: false, reason: "signature_mismatch" })
  })

  it("rejects a tampered body", () => {
    const secret = newSecret()
    const headers = officialHeaders(secret)
    expect(verifyWebhook({ body: body.replace("1000", "9000"), headers, secret, now })).toBe(false)
    expect(verifyWebhook({ body: body + " ", headers, secret, now })).toBe(false)
  })

  it("rejects a tampered message id or timestamp", () => {
    const secret = newSecret()
    const headers = officialHeaders(secret)
    expect(verifyWebhook({ body, headers: { ...headers, "webhook-id": "int_other0000000" }, secret, now })).toBe(false)
    expect(
      verifyWebhook({ body, headers: { ...headers, "webhook-timestamp": String(nowSeconds - 1) }, secret, now })
    ).toBe(false)
  })

  it("rejects timestamps outside the tolerance, in both directions", () => {
    const secret = newSecret()
    const old = officialHeaders(secret, new Date(now.getTime() - 301_000))
    expect(inspectWebhook({ body, headers: old, secret, now })).toMatchObject({ ok: false, reason: "timestamp_too_old" })
    const future = officialHeaders(secret, new Date(now.getTime() + 301_000))
    expect(inspectWebhook({ body, headers: future, secret, now })).toMatchObject({ ok: false, reason: "timestamp_too_new" })
    // inside the default window, and a wider window on request
    expect(verifyWebhook({ body, headers: officialHeaders(secret, new Date(now.getTime() - 299_000)), secret, now })).toBe(true)
    expect(verifyWebhook({ body, headers: old, secret, now, toleranceSeconds: 600 })).toBe(true)
    expect(verifyWebhook({ body, headers: old, secret, now: now.getTime() })).toBe(false)
  })

  it("rejects a malformed timestamp", () => {
    const secret = newSecret()
    const headers = { ...officialHeaders(secret), "webhook-timestamp": "yesterday" }
    expect(inspectWebhook({ body, headers, secret, now })).toMatchObject({ ok: false, reason: "invalid_timestamp" })
  })

  it("accepts any of several signatures (the sender rotating its secret)", () => {
    const previous = newSecret()
    const current = newSecret()
    const signature = `${new Webhook(current).sign(msgId, now, body)} ${new Webhook(previous).sign(msgId, now, body)}`
    const headers = { ...officialHeaders(current), "webhook-signature": signature }
    expect(verifyWebhook({ body, headers, secret: current, now })).toBe(true)
    expect(verifyWebhook({ body, headers, secret: previous, now })).toBe(true)
    expect(verifyWebhook({ body, headers, secret: newSecret(), now })).toBe(false)
  })

  it("accepts any of several secrets (the receiver rotating its secret)", () => {
    const previous = newSecret()
    const current = newSecret()
    const headers = officialHeaders(previous)
    expect(verifyWebhook({ body, headers, secret: [current, previous], now })).toBe(true)
    expect(verifyWebhook({ body, headers, secret: [current, newSecret()], now })).toBe(false)
  })

  it("ignores signature versions it does not know", () => {
    const secret = newSecret()
    const valid = new Webhook(secret).sign(msgId, now, body)
    const headers = { ...officialHeaders(secret), "webhook-signature": `v1a,${valid.slice(3)}` }
    expect(inspectWebhook({ body, headers, secret, now })).toMatchObject({ ok: false, reason: "missing_signature" })
  })

  it("reads fetch Headers, mixed-case names, array values and Buffer bodies", () => {
    const secret = newSecret()
    const plain = officialHeaders(secret)
    const fetchHeaders = new Headers(plain)
    expect(verifyWebhook({ body, headers: fetchHeaders, secret, now })).toBe(true)
    const mixed = {
      "Webhook-Id": plain["webhook-id"],
      "WEBHOOK-TIMESTAMP": plain["webhook-timestamp"],
      "webhook-signature": ["v1,AAAA", plain["webhook-signature"]],
      "x-unrelated": undefined
    }
    expect(verifyWebhook({ body: Buffer.from(body, "utf8"), headers: mixed, secret, now })).toBe(true)
  })
})

describe("verifyWebhook: x-signal-signature (opt-in)", () => {
  const both = ["standard", "signal"] as const

  it("is refused by default: it signs no timestamp, so a captured delivery would verify forever", () => {
    const secret = newSecret()
    const headers = { "x-signal-signature": independentSignalSignature(secret, body) }
    expect(inspectWebhook({ body, headers, secret })).toMatchObject({ ok: false, reason: "missing_signature" })
    expect(verifyWebhook({ body, headers, secret })).toBe(false)
  })

  it("accepts the hex HMAC of the body keyed with the whole secret string when opted in", () => {
    const secret = newSecret()
    const headers = { "x-signal-signature": independentSignalSignature(secret, body) }
    expect(inspectWebhook({ body, headers, secret, schemes: both })).toMatchObject({ ok: true, scheme: "signal" })
  })

  it("rejects a wrong secret, a tampered body and a truncated signature", () => {
    const secret = newSecret()
    const signature = independentSignalSignature(secret, body)
    const headers = { "x-signal-signature": signature }
    expect(verifyWebhook({ body, headers, secret: newSecret(), schemes: both })).toBe(false)
    expect(verifyWebhook({ body: body.replace("EUR", "USD"), headers, secret, schemes: both })).toBe(false)
    expect(
      verifyWebhook({ body, headers: { "x-signal-signature": signature.slice(0, 62) }, secret, schemes: both })
    ).toBe(false)
  })

  it("is not keyed with the decoded secret (that is the Standard Webhooks key)", () => {
    const secret = newSecret()
    const decodedKey = Buffer.from(secret.slice("whsec_".length), "base64")
    const wrong = createHmac("sha256", decodedKey).update(body).digest("hex")
    expect(verifyWebhook({ body, headers: { "x-signal-signature": wrong }, secret, schemes: both })).toBe(false)
  })

  it("accepts several secrets", () => {
    const previous = newSecret()
    const headers = { "x-signal-signature": independentSignalSignature(previous, body) }
    expect(verifyWebhook({ body, headers, secret: [newSecret(), previous], schemes: both })).toBe(true)
  })

  it("refuses a replay stripped of its webhook-* headers by default; Standard Webhooks headers decide when present", () => {
    const secret = newSecret()
    const stale = officialHeaders(secret, new Date(now.getTime() - 3_600_000))
    const headers = { ...stale, "x-signal-signature": independentSignalSignature(secret, body) }
    expect(inspectWebhook({ body, headers, secret, now })).toMatchObject({ ok: false, reason: "timestamp_too_old" })
    expect(inspectWebhook({ body, headers, secret, now, schemes: both })).toMatchObject({
      ok: false,
      reason: "timestamp_too_old"
    })
    const stripped = { "x-signal-signature": headers["x-signal-signature"] }
    // stripped of the timestamped headers, the capture is refused by default …
    expect(verifyWebhook({ body, headers: stripped, secret, now })).toBe(false)
    // … and verifies only for a receiver that opted into the scheme without a timestamp
    expect(verifyWebhook({ body, headers: stripped, secret, now, schemes: both })).toBe(true)
  })
})

describe("verifyWebhook: edge cases and variants", () => {
  it("refuses without a secret or without signature headers", () => {
    const secret = newSecret()
    expect(inspectWebhook({ body, headers: officialHeaders(secret), secret: [], now })).toMatchObject({ ok: false, reason: "no_secret" })
    expect(inspectWebhook({ body, headers: officialHeaders(secret), secret: "", now })).toMatchObject({ ok: false, reason: "no_secret" })
    expect(inspectWebhook({ body, headers: { "content-type": "application/json" }, secret, now })).toMatchObject({
      ok: false,
      reason: "missing_signature"
    })
  })

  it("assertWebhook returns the parsed body or throws", () => {
    const secret = newSecret()
    expect(assertWebhook({ body, headers: officialHeaders(secret), secret, now })).toEqual(JSON.parse(body))
    expect(() => assertWebhook({ body, headers: officialHeaders(secret), secret: newSecret(), now })).toThrow(
      WebhookVerificationError
    )
  })

  it.effect("verifyWebhookEffect succeeds with the scheme or fails with the reason", () =>
    Effect.gen(function*() {
      const secret = newSecret()
      expect(yield* verifyWebhookEffect({ body, headers: officialHeaders(secret), secret, now })).toBe("standard")
      const failed = yield* Effect.exit(verifyWebhookEffect({ body: "{}", headers: officialHeaders(secret), secret, now }))
      expect(Exit.isFailure(failed)).toBe(true)
      const error = yield* Effect.flip(verifyWebhookEffect({ body: "{}", headers: officialHeaders(secret), secret, now }))
      expect(error.reason).toBe("signature_mismatch")
    }))
})
