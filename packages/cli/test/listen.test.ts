/** `signal listen`: verifies with the Standard Webhooks signature, forwards, relays the status. */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import { createServer, request as httpRequest, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { Webhook } from "standardwebhooks"
import { bin, cleanEnv } from "./support"

const secret = `whsec_${randomBytes(24).toString("base64")}`

interface Forwarded {
  readonly headers: Record<string, string | Array<string> | undefined>
  readonly body: string
  readonly method: string
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

const deliver = (url: string, body: string, headers: Record<string, string>, method = "POST") =>
  fetch(`${url}/hooks`, {
    method,
    // fetch cannot send a GET with a body: a raw request does, as Signal does for a GET destination
    ...(method === "GET" ? {} : { body }),
    headers: { "content-type": "application/json", ...headers }
  })

const signedHeaders = (id: string, body: string) => {
  const now = new Date()
  return {
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
    "webhook-signature": new Webhook(secret).sign(id, now, body)
  }
}

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
        forwarded.push({ headers: req.headers, body, method: req.method! })
        const answer = () => {
          res.writeHead(body.includes("explode") ? 500 : 202, { "content-type": "text/plain" })
          res.end(body.includes("explode") ? "app failed" : "queued by app")
        }
        if (req.url?.endsWith("/slow")) setTimeout(answer, 5_000)
        else answer()
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

  it("gives up on a forward target at --timeout, and forwards a GET delivery without its body", async () => {
    const slow = await startListener(["--port", "0", "--secret", secret, "--forward-to", `${appUrl}/slow`, "--timeout", "1"])
    try {
      const started = Date.now()
      const answer = await deliver(slow.url, "{}", signedHeaders("int_0000000000cc", "{}"))
      expect(answer.status).toBe(502)
      expect(await answer.text()).toMatch(/within 1s/)
      expect(Date.now() - started).toBeLessThan(4_000)
    } finally {
      expect(await stop(slow.child)).toBe(0)
    }
    const listener = await startListener(["--port", "0", "--secret", secret, "--forward-to", appUrl])
    try {
      // Signal signs a GET delivery's body as for any method; the listener verifies it and forwards the GET
      const body = JSON.stringify({ id: "evt_0000000000dd", type: "ping" })
      const url = new URL(`${listener.url}/hooks`)
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(url, {
          method: "GET",
          headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), ...signedHeaders("int_0000000000dd", body) }
        }, (res) => {
          res.resume()
          res.on("end", () => resolve(res.statusCode!))
        })
        req.on("error", reject)
        req.end(body)
      })
      expect(status).toBe(202)
      expect(forwarded.at(-1)).toMatchObject({ method: "GET", body: "" })
    } finally {
      expect(await stop(listener.child)).toBe(0)
    }
  }, 30_000)

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
