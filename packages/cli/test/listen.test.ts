/** `signal listen`: verifies with the Standard Webhooks signature, forwards, relays the status. */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { Webhook } from "standardwebhooks"
import { bin, cleanEnv } from "./support"

const secret = `whsec_${randomBytes(24).toString("base64")}`

interface Forwarded {
  readonly headers: Record<string, string | Array<string> | undefined>
  readonly body: string
}

const startListener = (args: ReadonlyArray<string>) =>
  new Promise<{ readonly child: ChildProcessWithoutNullStreams; readonly url: string; readonly stdout: () => string }>(
    (resolve, reject) => {
      const child = spawn(process.execPath, [bin, "listen", ...args], { env: cleanEnv(), stdio: ["pipe", "pipe", "pipe"] })
      let stdout = ""
      let stderr = ""
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk))
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
        stderr += chunk
        const match = /listening on (http:\/\/[^\s,]+)/.exec(stderr)
        if (match) resolve({ child, url: match[1], stdout: () => stdout })
      })
      child.on("close", (code) => reject(new Error(`listen exited early (${code}): ${stderr}`)))
      setTimeout(() => reject(new Error(`listen did not start: ${stderr}`)), 20_000)
    }
  )

const stop = (child: ChildProcessWithoutNullStreams) =>
  new Promise<number | null>((resolve) => {
    child.removeAllListeners("close")
    child.on("close", (code) => resolve(code))
    child.kill("SIGINT")
  })

const deliver = (url: string, body: string, headers: Record<string, string>) =>
  fetch(`${url}/hooks`, { method: "POST", body, headers: { "content-type": "application/json", ...headers } })

describe("signal listen", () => {
  let app: Server
  let appUrl: string
  const forwarded: Array<Forwarded> = []

  beforeAll(async () => {
    app = createServer((req, res) => {
      let body = ""
      req.setEncoding("utf8")
      req.on("data", (chunk) => (body += chunk))
      req.on("end", () => {
        forwarded.push({ headers: req.headers, body })
        res.writeHead(body.includes("explode") ? 500 : 202, { "content-type": "text/plain" })
        res.end(body.includes("explode") ? "app failed" : "queued by app")
      })
    })
    await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve))
    appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}/webhooks`
  })

  afterAll(async () => {
    await new Promise<void>((resolve) => app.close(() => resolve()))
  })

  it("verifies, forwards with the signature headers, relays the app's answer and stops on SIGINT", async () => {
    const listener = await startListener(["--port", "0", "--secret", secret, "--forward-to", appUrl])
    try {
      const body = JSON.stringify({ id: "evt_0000000000aa", type: "invoice.paid", payload: { n: 1 } })
      const id = "int_0000000000aa"
      const now = new Date()
      const signed = {
        "webhook-id": id,
        "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
        "webhook-signature": new Webhook(secret).sign(id, now, body)
      }
      const ok = await deliver(listener.url, body, signed)
      expect(ok.status).toBe(202)
      expect(await ok.text()).toBe("queued by app")
      expect(forwarded).toHaveLength(1)
      expect(forwarded[0].body).toBe(body)
      expect(forwarded[0].headers["webhook-signature"]).toBe(signed["webhook-signature"])

      const failing = JSON.stringify({ id: "evt_0000000000bb", type: "explode" })
      const failed = await deliver(listener.url, failing, {
        "webhook-id": id,
        "webhook-timestamp": signed["webhook-timestamp"],
        "webhook-signature": new Webhook(secret).sign(id, now, failing)
      })
      expect(failed.status).toBe(500)

      const forged = await deliver(listener.url, body.replace("1", "2"), signed)
      expect(forged.status).toBe(401)
      expect(forwarded).toHaveLength(2)

      const lines = listener.stdout().trim().split("\n")
      expect(lines).toHaveLength(3)
      expect(lines[0]).toMatch(/evt_0000000000aa\s+invoice\.paid\s+int_0000000000aa\s+verified \(standard\)\s+-> \S+ 202/)
      expect(lines[1]).toMatch(/ 500 /)
      expect(lines[2]).toMatch(/REJECTED \(signature_mismatch\)\s+-> 401/)
    } finally {
      expect(await stop(listener.child)).toBe(0)
    }
  })

  it("prints NDJSON with --json and answers 200 itself without --forward-to", async () => {
    const listener = await startListener(["--port", "0", "--secret", secret, "--json"])
    try {
      const body = JSON.stringify({ id: "evt_0000000000cc", type: "user.created" })
      const now = new Date()
      const response = await deliver(listener.url, body, {
        "webhook-id": "int_0000000000cc",
        "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
        "webhook-signature": new Webhook(secret).sign("int_0000000000cc", now, body)
      })
      expect(response.status).toBe(200)
      const line = JSON.parse(listener.stdout().trim())
      expect(line).toMatchObject({
        eventId: "evt_0000000000cc",
        eventType: "user.created",
        webhookId: "int_0000000000cc",
        verified: true,
        scheme: "standard",
        status: 200,
        forwardedTo: null
      })
    } finally {
      await stop(listener.child)
    }
  })
})
