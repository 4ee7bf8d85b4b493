/** The binary against a live Signal server: tables for people, JSON for machines, real deliveries. */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { verifyWebhook } from "@signal/client/verifyWebhook"
import { spawn } from "node:child_process"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { bin, cleanEnv, type CliResult, hasTestServer, type LiveServer, signal, startTestServer, stopServer } from "./support"

describe.skipIf(!hasTestServer)("signal against a live server", () => {
  let server: LiveServer
  let receiver: Server
  let receiverUrl: string
  let secret = ""
  let verifiedDeliveries = 0
  let rejectedDeliveries = 0
  let env: Record<string, string> = {}

  let tenantId = ""
  let senderId = ""
  let destinationId = ""
  let eventId = ""

  /** Runs the binary against the server; `--tenant` comes from SIGNAL_TENANT once known. */
  const run = (args: ReadonlyArray<string>, input?: string): Promise<CliResult> => signal(args, { env, input })
  const ok = async (args: ReadonlyArray<string>, input?: string): Promise<string> => {
    const result = await run(args, input)
    if (result.code !== 0) throw new Error(`signal ${args.join(" ")} exited ${result.code}: ${result.stderr}`)
    return result.stdout
  }
  const json = async <A = any>(args: ReadonlyArray<string>, input?: string): Promise<A> => JSON.parse(await ok([...args, "--json"], input))

  beforeAll(async () => {
    server = await startTestServer()
    env = { SIGNAL_ENDPOINT: server.url }
    receiver = createServer((req, res) => {
      let body = ""
      req.setEncoding("utf8")
      req.on("data", (chunk) => (body += chunk))
      req.on("end", () => {
        const verified = verifyWebhook({ body, headers: req.headers, secret })
        if (verified) verifiedDeliveries++
        else rejectedDeliveries++
        res.writeHead(verified ? 200 : 401)
        res.end(verified ? "thanks" : "bad signature")
      })
    })
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve))
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/in`
  })

  afterAll(async () => {
    receiver?.closeAllConnections()
    await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()))
    await stopServer(server)
  })

  it("upserts and shows tenants and senders", async () => {
    const suffix = Date.now().toString(36)
    const tenant = await json(["tenants", "upsert", "--identifier", `cli-${suffix}`, "--name", "CLI Tenant"])
    expect(tenant).toMatchObject({ identifier: `cli-${suffix}`, name: "CLI Tenant" })
    expect(tenant.id).toMatch(/^ten_/)
    tenantId = tenant.id
    env = { ...env, SIGNAL_TENANT: tenantId }

    const table = await ok(["tenants", "get"])
    expect(table.split("\n")[0]).toMatch(new RegExp(`^id\\s+${tenantId}$`))
    expect(table).toMatch(/^identifier\s+cli-/m)
    expect(table).toMatch(/^name\s+CLI Tenant$/m)

    const sender = await json(["senders", "upsert", "--identifier", `cli-sender-${suffix}`, "--name", "CLI Sender"])
    senderId = sender.id
    expect(await json(["senders", "get", senderId])).toStrictEqual(sender)
  })

  it("creates, lists and shows destinations", async () => {
    const created = await json([
      "destinations", "create",
      "--name", "CLI receiver",
      "--url", receiverUrl,
      "--event-type", "order.created,order.paid",
      "--retry", "linear", "--retry-delay", "1", "--retry-max-attempts", "2",
      "-H", "X-From=cli"
    ])
    expect(created).toMatchObject({
      name: "CLI receiver",
      eventTypes: ["order.created", "order.paid"],
      retry: { type: "linear", delaySeconds: 1, maxAttempts: 2 },
      headers: { "X-From": "cli" },
      variant: { url: receiverUrl, method: "POST" },
      status: "active"
    })
    destinationId = created.id
    secret = created.webhook.signingSecret
    expect(secret).toMatch(/^whsec_/)

    const details = await ok(["destinations", "get", destinationId])
    expect(details).toMatch(new RegExp(`^webhook\\.signingSecret\\s+${secret.replace(/[+/]/g, "\\$&")}$`, "m"))
    expect(details).toMatch(/^eventTypes\s+order\.created,order\.paid$/m)

    const table = (await ok(["destinations", "list"])).trimEnd().split("\n")
    expect(table[0]).toMatch(/^ID\s+NAME\s+STATUS\s+CIRCUIT\s+EVENT TYPES\s+URL$/)
    expect(table).toHaveLength(2)
    expect(table[1]).toMatch(new RegExp(`^${destinationId}\\s+CLI receiver\\s+active\\s+closed\\s+order\\.created,order\\.paid\\s+POST ${receiverUrl}$`))
    // the column starts line up
    expect(table[1].indexOf("CLI receiver")).toBe(table[0].indexOf("NAME"))

    const page = await json(["destinations", "list", "--limit", "5"])
    expect(page).toMatchObject({ hasMore: false, nextCursor: null })
    expect(page.items.map((d: { id: string }) => d.id)).toEqual([destinationId])
  })

  it("publishes from stdin and follows the delivery with events tail", async () => {
    const tail = spawn(process.execPath, [bin, "events", "tail", "--interval", "0.2", "--max-seconds", "15"], {
      env: cleanEnv(env),
      stdio: ["ignore", "pipe", "pipe"]
    })
    let tailOut = ""
    let tailErr = ""
    tail.stdout.setEncoding("utf8").on("data", (chunk: string) => (tailOut += chunk))
    const exited = new Promise<number | null>((resolve) => tail.on("close", resolve))
    await new Promise<void>((resolve, reject) => {
      tail.stderr.setEncoding("utf8").on("data", (chunk: string) => {
        tailErr += chunk
        if (tailErr.includes("following deliveries")) resolve()
      })
      tail.on("close", () => reject(new Error(`tail ended early: ${tailErr}`)))
    })

    const published = await ok(
      ["events", "publish", "--type", "order.created", "--sender", senderId, "--topic", "orders"],
      JSON.stringify({ orderId: "o-1", total: 12.5 })
    )
    expect(published).toMatch(/^destinationCount\s+1$/m)
    expect(published).toMatch(/^payload\.orderId\s+o-1$/m)
    eventId = /^id\s+(evt_\S+)$/m.exec(published)?.[1] ?? ""
    expect(eventId).toMatch(/^evt_/)

    const deadline = Date.now() + 15_000
    while (!tailOut.includes(eventId) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
    tail.kill("SIGINT")
    expect(await exited).toBe(0)
    const line = tailOut.split("\n").find((l) => l.includes(eventId)) ?? ""
    expect(line).toMatch(new RegExp(`att_\\S+\\s+${eventId} -> ${destinationId}\\s+#1\\s+succeeded\\s+HTTP 200\\s+\\d+ms`))
    expect(verifiedDeliveries).toBe(1)
    expect(rejectedDeliveries).toBe(0)
  })

  it("lists and shows events, intents and attempts", async () => {
    let event: any
    for (let i = 0; i < 30; i++) {
      event = await json(["events", "get", eventId])
      if (event.status === "succeeded") break
      await new Promise((r) => setTimeout(r, 300))
    }
    expect(event).toMatchObject({ id: eventId, status: "succeeded", successCount: 1, payload: { orderId: "o-1", total: 12.5 } })

    const events = (await ok(["events", "list", "--type", "order.created"])).trimEnd().split("\n")
    expect(events[0]).toMatch(/^ID\s+TYPE\s+STATUS\s+DELIVERED\s+TOPICS\s+CREATED$/)
    expect(events[1]).toMatch(new RegExp(`^${eventId}\\s+order\\.created\\s+succeeded\\s+1/1\\s+orders\\s+\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$`))

    const intents = await json(["intents", "list", "--event", eventId])
    expect(intents.items).toHaveLength(1)
    expect(intents.items[0]).toMatchObject({ eventId, destinationId, status: "succeeded", attemptCount: 1 })
    const intentTable = await ok(["intents", "list", "--event", eventId, "--status", "succeeded"])
    expect(intentTable).toMatch(/^ID\s+EVENT\s+DESTINATION\s+STATUS\s+ATTEMPTS\s+NEXT ATTEMPT\s+ERROR$/m)
    expect(intentTable).toContain("CLI receiver")
    expect(await ok(["intents", "get", intents.items[0].id])).toMatch(/^status\s+succeeded$/m)
    expect(await ok(["intents", "list", "--event", eventId, "--status", "failed"])).toBe("no delivery intents\n")

    const attemptTable = (await ok(["attempts", "list", "--event", eventId])).trimEnd().split("\n")
    expect(attemptTable[0]).toMatch(/^ID\s+EVENT\s+DESTINATION\s+#\s+STATUS\s+HTTP\s+DURATION\s+STARTED\s+ERROR$/)
    expect(attemptTable[1]).toMatch(new RegExp(`^att_\\S+\\s+${eventId}\\s+${destinationId}\\s+1\\s+succeeded\\s+200\\s+\\d+ms\\s+\\S+Z\\s+-$`))
    const attemptId = attemptTable[1].split(/\s+/)[0]
    const attempt = await json(["attempts", "get", attemptId])
    expect(attempt).toMatchObject({ id: attemptId, status: "succeeded", response: { statusCode: 200, body: "thanks" } })
  })

  it("creates an API key that reaches its tenant until it is revoked", async () => {
    const created = await json(["api-keys", "create", "--name", "cli-test"])
    expect(created).toMatchObject({ tenantId, name: "cli-test", lastUsedAt: null, revokedAt: null })
    expect(created.id).toMatch(/^key_/)
    expect(created.key).toMatch(/^sk_/)
    expect(created.key.startsWith(created.prefix)).toBe(true)

    // for people: the key once, and the warning that it will not be shown again
    const shown = await ok(["api-keys", "create", "--name", "cli-once"])
    expect(shown).toMatch(/^key\s+sk_\S+$/m)
    expect(shown).toMatch(/^name\s+cli-once$/m)
    expect(shown).toContain("shown only once")

    // the key works as --api-key and as SIGNAL_API_KEY
    const withFlag = await json(["destinations", "list", "--api-key", created.key])
    expect(withFlag.items.map((d: { id: string }) => d.id)).toEqual([destinationId])
    const withEnv = await signal(["destinations", "list"], { env: { ...env, SIGNAL_API_KEY: created.key } })
    expect(withEnv.code).toBe(0)
    expect(withEnv.stdout).toContain(destinationId)

    const table = (await ok(["api-keys", "list"])).trimEnd().split("\n")
    expect(table[0]).toMatch(/^ID\s+NAME\s+PREFIX\s+CREATED\s+LAST USED\s+STATUS$/)
    expect(table).toHaveLength(3)
    const row = table.find((line) => line.startsWith(created.id)) ?? ""
    expect(row).toMatch(new RegExp(`^${created.id}\\s+cli-test\\s+${created.prefix}…\\s+\\S+Z\\s+(\\S+Z|-)\\s+active$`))

    expect(await ok(["api-keys", "revoke", created.id])).toMatch(new RegExp(`^revoked ${created.id} at \\S+Z\n$`))
    const refused = await run(["destinations", "list", "--api-key", created.key])
    expect(refused.code).toBe(1)
    expect(refused.stdout).toBe("")
    expect(refused.stderr).toMatch(/^error: unauthorized: /m)
    const keys = await json(["api-keys", "list"])
    expect(keys.items.find((k: { id: string }) => k.id === created.id).revokedAt).not.toBeNull()
    expect(await ok(["api-keys", "list"])).toMatch(new RegExp(`^${created.id}\\s.*\\srevoked$`, "m"))

    const invalid = await run(["api-keys", "revoke", "not-a-key"])
    expect(invalid.code).toBe(1)
    expect(invalid.stderr).toMatch(/^error: invalid_request: /m)
  })

  it("shows delivery analytics for the tenant and for a destination", async () => {
    // one event, published above, delivered once to the one destination
    const delivered = {
      tenantId,
      events: 1,
      deliveries: 1,
      succeeded: 1,
      failed: 0,
      inProgress: 0,
      successRate: 1,
      attempts: 1,
      attemptsPerDelivery: 1,
      queue: { pending: 0, retrying: 0, depth: 0 }
    }
    const tenant = await json(["analytics"])
    expect(tenant).toMatchObject({ ...delivered, destinationId: null })
    expect(tenant.latencyMs.p50).toBeGreaterThanOrEqual(0)
    expect(Date.parse(tenant.to) - Date.parse(tenant.from)).toBe(24 * 3600 * 1000)
    expect(await json(["analytics", "--destination", destinationId])).toMatchObject({ ...delivered, destinationId })

    const before = await json(["analytics", "--from", "2000-01-01T00:00:00Z", "--to", "2000-01-02T00:00:00Z"])
    expect(before).toMatchObject({ from: "2000-01-01T00:00:00.000Z", events: 0, deliveries: 0, successRate: null })

    const summary = await ok(["analytics", "--destination", destinationId])
    expect(summary).toMatch(new RegExp(`^destination\\s+${destinationId}$`, "m"))
    expect(summary).toMatch(/^window\s+\S+Z → \S+Z$/m)
    expect(summary).toMatch(/^deliveries\s+1$/m)
    expect(summary).toMatch(/^success rate\s+100\.0%$/m)
    expect(summary).toMatch(/^attempts per delivery\s+1\.00$/m)
    expect(summary).toMatch(/^latency p95\s+\d+ ms$/m)
    expect(summary).toMatch(/^queue depth\s+0$/m)

    const invalid = await run(["analytics", "--destination", "not-a-destination"])
    expect(invalid.code).toBe(1)
    expect(invalid.stderr).toMatch(/^error: invalid_request: destinationId must be a dst_… id$/m)
  })

  it("rotates a destination's signing secret; deliveries are signed with the new one", async () => {
    const details = await ok(["destinations", "rotate-secret", destinationId, "--grace-seconds", "0"])
    const rotated = /^webhook\.signingSecret\s+(\S+)$/m.exec(details)?.[1] ?? ""
    expect(rotated).toMatch(/^whsec_/)
    expect(rotated).not.toBe(secret)
    expect(details).toMatch(new RegExp(`^id\\s+${destinationId}$`, "m"))

    const again = await json(["destinations", "rotate-secret", destinationId, "--grace-seconds", "60"])
    expect(again).toMatchObject({ id: destinationId, name: "CLI receiver" })
    expect(again.webhook.signingSecret).not.toBe(rotated)
    expect((await json(["destinations", "get", destinationId])).webhook.signingSecret).toBe(again.webhook.signingSecret)

    secret = again.webhook.signingSecret
    await ok(["events", "publish", "--type", "order.paid", "--sender", senderId], JSON.stringify({ orderId: "o-2" }))
    const deadline = Date.now() + 15_000
    while (verifiedDeliveries < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
    expect(verifiedDeliveries).toBe(2)
    expect(rejectedDeliveries).toBe(0)
  })

  it("disables, enables, updates and deletes a destination; a deleted one is a 404", async () => {
    expect(await ok(["destinations", "disable", destinationId])).toMatch(new RegExp(`^${destinationId} disabled`))
    expect((await json(["destinations", "get", destinationId])).active).toBe(false)
    expect(await ok(["destinations", "enable", destinationId])).toBe(`${destinationId} active\n`)

    const updated = await json(["destinations", "update", destinationId, "--all-event-types", "--name", "Renamed"])
    expect(updated).toMatchObject({ id: destinationId, eventTypes: null, name: "Renamed", variant: { url: receiverUrl } })
    // part of the receiver or of the retry policy: the rest stays as it was
    await json(["destinations", "update", destinationId, "--url", receiverUrl, "--method", "PUT", "--retry", "linear",
      "--retry-delay", "5", "--retry-max-attempts", "3"])
    const moved = await json(["destinations", "update", destinationId, "--url", `${receiverUrl}?moved=1`])
    expect(moved.variant).toMatchObject({ url: `${receiverUrl}?moved=1`, method: "PUT" })
    const slower = await json(["destinations", "update", destinationId, "--retry-delay", "60", "--method", "POST"])
    expect(slower.retry).toEqual({ type: "linear", delaySeconds: 60, maxAttempts: 3 })
    expect(slower.variant).toMatchObject({ url: `${receiverUrl}?moved=1`, method: "POST" })
    await json(["destinations", "update", destinationId, "--url", receiverUrl])
    const nothing = await run(["destinations", "update", destinationId])
    expect(nothing.code).toBe(2)
    expect(nothing.stderr).toMatch(/^error: nothing_to_update: /m)

    expect(await ok(["destinations", "delete", destinationId])).toBe(`deleted ${destinationId}\n`)
    const gone = await run(["destinations", "get", destinationId])
    expect(gone.code).toBe(1)
    expect(gone.stdout).toBe("")
    expect(gone.stderr).toBe(`error: not_found: destination ${destinationId} not found\n`)
    const goneJson = await run(["destinations", "get", destinationId, "--json"])
    expect(goneJson.code).toBe(1)
    // under --json the error is JSON too, with the API's status
    expect(JSON.parse(goneJson.stderr)).toEqual({
      error: { code: "not_found", message: `destination ${destinationId} not found`, status: 404 }
    })
  })

  it("runs the generic commands of operations without a hand-written one", async () => {
    const batch = await json(["events", "create-batch", "--data", JSON.stringify({
      events: [{ senderId, eventType: "cli.batch", payload: { n: 1 } }, { senderId, eventType: "cli.batch", payload: { n: 2 } }]
    })])
    expect(batch.items.map((event: { type: string }) => event.type)).toEqual(["cli.batch", "cli.batch"])
    expect(await json(["health"])).toEqual({ status: "ok" })
    const ready = await ok(["ready"])
    expect(ready).toMatch(/^status\s+ready$/m)
  })
})
