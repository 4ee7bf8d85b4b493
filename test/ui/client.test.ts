/// <reference lib="dom" />
// (Callbacks passed to `page.evaluate` run in the browser.)
/**
 * @signal/client in a real browser (Debian's Chromium): its portable entry, bundled for the browser
 * by esbuild (which refuses any Node built-in), loaded by a page of Signal's own origin and used the
 * way the README shows, against a live server that then delivers what the page published.
 */
import * as esbuild from "esbuild"
import { fileURLToPath } from "node:url"
import { beforeAll, describe, expect, it } from "vitest"
import { useChromium } from "../support/browser"
import { eventually } from "../support/http"
import { useReceivers } from "../support/receiver"
import { useTestServer } from "../support/server"

const entry = fileURLToPath(new URL("../../packages/client/src/index.ts", import.meta.url))

const running = useTestServer()
const chromium = useChromium()
const receivers = useReceivers()

let bundle = ""
beforeAll(async () => {
  const built = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "silent"
  })
  bundle = built.outputFiles[0]!.text
}, 60_000)

interface PageResult {
  readonly tenantId: string
  readonly destinationId: string
  readonly signingSecret: string | undefined
  readonly eventId: string
  readonly listed: ReadonlyArray<string>
  readonly refused: { readonly status: number; readonly code: string; readonly message: string }
}

describe("@signal/client in a browser", () => {
  it("creates a tenant, a destination and an event, lists it, and reads a refusal as a SignalClientError", { timeout: 90_000 }, async () => {
    const receiver = await receivers()
    const origin = running.server.url
    const page = await chromium.browser.newPage()
    try {
      // The page and the bundle are served as if by Signal itself: same origin, no CORS involved.
      await page.route(`${origin}/__client/page.html`, (route) =>
        route.fulfill({
          contentType: "text/html",
          body: `<!doctype html><title>client</title>
<script type="module">import * as client from "/__client/index.js"; window.signalClient = client</script>`
        }))
      await page.route(`${origin}/__client/index.js`, (route) => route.fulfill({ contentType: "text/javascript", body: bundle }))
      await page.goto(`${origin}/__client/page.html`)
      await page.waitForFunction(() => "signalClient" in window)
      const suffix = Math.random().toString(36).slice(2, 10)
      const result = await page.evaluate(async ({ receiverUrl, suffix }): Promise<PageResult> => {
        const { createSignalClient, SignalClientError } = (window as unknown as { signalClient: typeof import("@signal/client") })
          .signalClient
        const client = createSignalClient({ endpoint: location.origin })
        const tenant = await client.tenant.upsert({ name: "Browser", identifier: `browser-${suffix}` })
        const sender = await client.sender.upsert({ name: "Browser sender", identifier: `browser-sender-${suffix}` })
        const destination = await client.eventDestination.create({
          tenantId: tenant.id,
          senderId: sender.id,
          name: "Browser webhook",
          eventTypes: ["payment.created"],
          variant: { type: "http_endpoint", url: receiverUrl, method: "POST" }
        })
        const event = await client.event.create({
          tenantId: tenant.id,
          senderId: sender.id,
          eventType: "payment.created",
          payload: { paymentId: "pay_browser", amount: 1000 }
        })
        const events = await client.event.list({ tenantId: tenant.id, eventTypes: ["payment.created"], limit: 10 })
        let refused = { status: 0, code: "", message: "" }
        try {
          await client.eventDestination.update({
            tenantId: tenant.id,
            eventDestinationId: destination.id,
            retry: { type: "linear", delaySeconds: 30, maxAttempts: 500 }
          })
        } catch (error) {
          if (error instanceof SignalClientError) {
            refused = { status: error.status, code: error.code, message: error.message }
          }
        }
        return {
          tenantId: tenant.id,
          destinationId: destination.id,
          signingSecret: destination.webhook?.signingSecret,
          eventId: event.id,
          listed: events.items.map((item: { id: string }) => item.id),
          refused
        }
      }, { receiverUrl: `${receiver.url}/hook`, suffix })

      expect(result.tenantId).toMatch(/^ten_/)
      expect(result.signingSecret).toMatch(/^whsec_/)
      expect(result.listed).toEqual([result.eventId])
      expect(result.refused).toEqual({
        status: 400,
        code: "invalid_request",
        message: "retry.maxAttempts must be between 1 and 100 (got 500)"
      })
      // What the page published is delivered, signed, to the receiver.
      const delivered = await eventually(
        async () => receiver.requests.find((request) => request.body.includes(result.eventId)),
        { timeoutMs: 30_000, what: "the delivery" }
      )
      expect(delivered.headers["webhook-signature"]).toMatch(/^v1,/)
    } finally {
      await page.close()
    }
  })
})
