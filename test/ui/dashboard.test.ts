/// <reference lib="dom" />
// (Callbacks passed to `page.evaluate` run in the browser.)
/**
 * The dashboard in a real browser (Debian's Chromium) against a live Signal: what an operator sees
 * and does, checked on the page's visible content.
 */
import type { Page } from "playwright-core"
import { execFileSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import { afterEach, beforeAll, describe, expect, it } from "vitest"
import { artifactsDir, useChromium } from "../support/browser"
import { api } from "../support/http"
import { useReceivers } from "../support/receiver"
import { useTestServer } from "../support/server"

const ADMIN_KEY = "ui-test-admin-key-0123456789"
const admin = { authorization: `Bearer ${ADMIN_KEY}` }
const TIMEOUT = { timeout: 30_000 }

// The server reads the built assets when it starts: build them first (what `npm start` does).
beforeAll(() => {
  execFileSync(process.execPath, [fileURLToPath(new URL("../../packages/dashboard/build.mjs", import.meta.url))])
}, 60_000)

const running = useTestServer({
  env: { SIGNAL_ADMIN_KEY: ADMIN_KEY, SIGNAL_TRACE_URL_TEMPLATE: "http://127.0.0.1:16686/search?tags=signal.event_id%3D{eventId}" }
})
const chromium = useChromium()
const receivers = useReceivers()

const seed = async (label: string) => {
  const client = api(running.server.url)
  const suffix = Math.random().toString(36).slice(2, 10)
  const tenant = await client.put("/v1/tenants", { identifier: `${label}-${suffix}`, name: `${label} ${suffix}` }, admin)
  const sender = await client.put("/v1/senders", { identifier: `${label}-sender-${suffix}`, name: "Billing" }, admin)
  expect(tenant.status).toBe(200)
  expect(sender.status).toBe(200)
  return { tenantId: tenant.body.id as string, tenantName: tenant.body.name as string, senderId: sender.body.id as string }
}

const shot = (page: Page, name: string) => page.screenshot({ path: `${artifactsDir}${name}.png`, fullPage: true })

const signIn = async (page: Page, tenantId: string, key: string) => {
  await page.getByLabel("Tenant ID").fill(tenantId)
  await page.getByLabel("API key").fill(key)
  await page.getByRole("button", { name: "Sign in" }).click()
}

describe("dashboard", () => {
  const state = {} as {
    page: Page
    /** Errors the page logged (a blocked script or style, an exception), failed API calls aside. */
    pageErrors: Array<string>
    /** What the page asked the API and what failed, printed when a step fails. */
    network: Array<string>
    tenantA: Awaited<ReturnType<typeof seed>>
    destinationName: string
    eventId: string
  }

  // What the page showed when a step failed, for whoever reads the CI log.
  afterEach(async (context) => {
    if (context.task.result?.state === "fail" && state.page !== undefined && !state.page.isClosed()) {
      await shot(state.page, `failed-${context.task.name.replace(/\W+/g, "-")}`).catch(() => undefined)
      console.log(`page visibility: ${await state.page.evaluate(() => document.visibilityState).catch(String)}\n${state.network.join("\n")}`)
    }
  })

  it("serves the page from the gateway with a strict content security policy", async () => {
    const page = await fetch(`${running.server.url}/ui`)
    expect(page.status).toBe(200)
    expect(page.headers.get("content-type")).toContain("text/html")
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'")
    expect(await page.text()).toContain('<script type="module" src="/ui/app.js">')
    const settings = await fetch(`${running.server.url}/ui/settings.json`)
    expect(await settings.json()).toEqual({ traceUrlTemplate: expect.stringContaining("{eventId}") })
    expect((await fetch(`${running.server.url}/ui/app.js`)).headers.get("content-type")).toContain("javascript")
    expect((await fetch(`${running.server.url}/ui/package.json`)).status).toBe(404)
  })

  it("asks for a key, then shows the overview from the analytics API", async () => {
    state.tenantA = await seed("acme")
    const context = await chromium.browser.newContext({ viewport: { width: 1280, height: 860 }, colorScheme: "light" })
    state.page = await context.newPage()
    const page = state.page
    state.pageErrors = []
    state.network = []
    const at = () => new Date().toISOString().slice(11, 23)
    page.on("response", (response) => {
      if (response.status() >= 400 || response.request().method() !== "GET") state.network.push(`${at()} ${response.status()} ${response.request().method()} ${response.url()}`)
    })
    page.on("requestfailed", (request) =>
      state.network.push(`${at()} failed ${request.method()} ${request.url()}: ${request.failure()?.errorText}`))
    page.on("pageerror", (error) => state.pageErrors.push(error.message))
    page.on("console", (message) => {
      // The browser logs every 4xx the API answers (the tests provoke some); anything else is a fault.
      if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) state.pageErrors.push(message.text())
    })
    await page.goto(`${running.server.url}/ui`)

    await signIn(page, state.tenantA.tenantId, "")
    await expect.poll(() => page.getByRole("alert").textContent(), TIMEOUT).toContain("needs an API key")

    await signIn(page, state.tenantA.tenantId, ADMIN_KEY)
    await page.getByRole("heading", { name: "Overview" }).waitFor(TIMEOUT)
    await page.getByText("Success rate").waitFor(TIMEOUT)
    await page.getByText(state.tenantA.tenantName).waitFor(TIMEOUT)
    await page.getByRole("img", { name: /Per minute over the last 30 minutes/ }).waitFor(TIMEOUT)
    await page.getByText("None: every destination's circuit is closed.").waitFor(TIMEOUT)
    // The key lives in this tab's session storage only.
    expect(await page.evaluate(() => localStorage.length)).toBe(0)
    expect(await page.evaluate(() => sessionStorage.getItem("signal.session"))).toContain(state.tenantA.tenantId)
    await shot(page, "overview-empty")
  }, 90_000)

  it("creates a destination through the form, showing the API's validation error first", async () => {
    const page = state.page
    const receiver = await receivers((_request, index, response) => {
      // The first delivery fails, later ones succeed: the retry below must show a new, successful attempt.
      response.writeHead(index === 0 ? 500 : 200, { "content-type": "application/json", "x-receiver": "test" })
      response.end(index === 0 ? '{"error":"try later"}' : '{"ok":true}')
    })
    await page.getByRole("link", { name: "Destinations" }).click()
    await page.getByRole("link", { name: "New destination" }).click()
    await page.getByRole("heading", { name: "New destination" }).waitFor(TIMEOUT)

    state.destinationName = "Billing receiver"
    await page.getByLabel("Name").fill(state.destinationName)
    await page.getByLabel("URL").fill("ftp://example.com/hook")
    await page.getByLabel("Event types").fill("invoice.paid")
    await page.getByLabel("Max attempts").fill("1")
    await page.getByLabel("Custom headers").fill("X-Team: billing\nAuthorization: Bearer receiver-credential")
    await page.getByRole("button", { name: "Create destination" }).click()

    // The API's message, next to the URL field, which is marked invalid and focused.
    const urlError = page.locator("#f-variant-url-error")
    await urlError.waitFor(TIMEOUT)
    expect(await urlError.textContent()).toContain("URL scheme must be http or https")
    expect(await page.getByLabel("URL").getAttribute("aria-invalid")).toBe("true")
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("f-variant-url")
    await shot(page, "destination-validation")

    await page.getByLabel("URL").fill(receiver.url)
    await page.getByRole("button", { name: "Create destination" }).click()
    await page.getByRole("heading", { name: state.destinationName }).waitFor(TIMEOUT)
    const secret = await page.locator("#signing-secret").textContent()
    expect(secret).toMatch(/^whsec_/)
    await page.getByText("Signing secret").waitFor()
    await shot(page, "destination-created")
  }, 90_000)

  it("edits, disables, enables and rotates the secret of a destination", async () => {
    const page = state.page
    const firstSecret = await page.locator("#signing-secret").textContent()

    await page.getByRole("link", { name: "Edit" }).click()
    await page.getByRole("heading", { name: `Edit ${state.destinationName}` }).waitFor(TIMEOUT)
    state.destinationName = "Billing receiver (EU)"
    await page.getByLabel("Name").fill(state.destinationName)
    await page.getByLabel("Timeout (seconds)").fill("0")
    await page.getByRole("button", { name: "Save changes" }).click()
    await page.locator("#f-timeoutSeconds-error").waitFor(TIMEOUT)
    await page.getByLabel("Timeout (seconds)").fill("10")
    await page.getByRole("button", { name: "Save changes" }).click()
    await page.getByRole("heading", { name: state.destinationName }).waitFor(TIMEOUT)
    await page.getByText("timeout 10 s").waitFor(TIMEOUT)
    // The secret was shown once, after the create: not again.
    expect(await page.locator("#signing-secret").count()).toBe(0)

    await page.getByRole("button", { name: "Disable" }).click()
    await page.locator(".facts .badge").filter({ hasText: "disabled" }).waitFor(TIMEOUT)
    await page.getByRole("button", { name: "Enable" }).click()
    await page.locator(".facts .badge").filter({ hasText: "active" }).waitFor(TIMEOUT)

    await page.getByRole("button", { name: "Rotate secret" }).click()
    await page.locator("#signing-secret").waitFor(TIMEOUT)
    const rotated = await page.locator("#signing-secret").textContent()
    expect(rotated).toMatch(/^whsec_/)
    expect(rotated).not.toBe(firstSecret)
    await page.getByRole("button", { name: "Copy" }).waitFor()
  }, 90_000)

  it("shows a published event without reloading, its attempts, and a retry's new attempt", async () => {
    const page = state.page
    await page.getByRole("link", { name: "Events" }).click()
    await page.getByRole("heading", { name: "Events" }).waitFor(TIMEOUT)
    await page.getByText("No events match.").waitFor(TIMEOUT)
    // Set on this document: still there afterwards means the page was never reloaded.
    await page.evaluate(() => ((window as any).__sameDocument = true))

    const published = await api(running.server.url).post(`/v1/tenants/${state.tenantA.tenantId}/events`, {
      senderId: state.tenantA.senderId,
      eventType: "invoice.paid",
      topics: ["billing"],
      payload: { invoice: "inv_42", amount: 1200 }
    }, admin)
    expect(published.status).toBe(201)
    state.eventId = published.body.id

    const row = page.getByRole("row").filter({ hasText: state.eventId })
    await row.waitFor(TIMEOUT)
    expect(await page.evaluate(() => (window as any).__sameDocument)).toBe(true)
    await shot(page, "events")

    // Search by type.
    await page.getByLabel("Type").fill("order.shipped")
    await page.getByRole("button", { name: "Search" }).click()
    await page.getByText("No events match.").waitFor(TIMEOUT)
    await page.getByLabel("Type").fill("invoice.paid")
    await page.getByRole("button", { name: "Search" }).click()

    await row.getByRole("link", { name: "invoice.paid" }).click()
    await page.getByRole("heading", { name: "invoice.paid" }).waitFor(TIMEOUT)
    await page.getByText('"inv_42"').waitFor(TIMEOUT)
    const first = page.getByRole("listitem", { name: "Attempt 1" })
    await first.getByText("HTTP 500").waitFor(TIMEOUT)
    await first.getByText("Request and response").click()
    await first.getByText('{"error":"try later"}').waitFor(TIMEOUT)
    await first.getByRole("row", { name: /x-receiver/ }).waitFor(TIMEOUT)
    // Request headers: the destination's own, but never a credential or a signature.
    expect(await first.getByRole("row", { name: /x-team/i }).textContent()).toContain("billing")
    expect(await first.getByRole("row", { name: /authorization/i }).textContent()).toContain("hidden")
    expect(await first.getByRole("row", { name: /webhook-signature/ }).textContent()).toContain("hidden")
    expect(await page.getByText("receiver-credential").count()).toBe(0)
    expect(await page.getByRole("link", { name: "View trace" }).getAttribute("href")).toContain(state.eventId)

    await page.getByRole("button", { name: `Retry delivery to ${state.destinationName}` }).click()
    const second = page.getByRole("listitem", { name: "Attempt 2" })
    await second.getByText("HTTP 200").waitFor(TIMEOUT)
    await page.locator(".intent-head").getByText("succeeded").waitFor(TIMEOUT)
    expect(await page.evaluate(() => (window as any).__sameDocument)).toBe(true)
    await second.getByText("Request and response").click()
    await shot(page, "event-attempts")
  }, 120_000)

  it("counts the event on the overview", async () => {
    const page = state.page
    await page.getByRole("link", { name: "Overview" }).click()
    const stat = (label: string) => page.locator(".stat").filter({ has: page.getByText(label, { exact: true }) }).locator("dd")
    await expect.poll(() => stat("Events").textContent(), TIMEOUT).toBe("1")
    expect(await stat("Deliveries").textContent()).toBe("1")
    await expect.poll(() => stat("Success rate").textContent(), TIMEOUT).toBe("100 %")
    expect(await stat("Queue depth").textContent()).toBe("0")
    await page.getByRole("img", { name: /1 events, 1 deliveries in all/ }).waitFor(TIMEOUT)
    await shot(page, "overview")
  }, 90_000)

  it("lets a tenant key see only its own tenant", async () => {
    const page = state.page
    const client = api(running.server.url)
    const tenantB = await seed("globex")
    const otherDestination = await client.post(`/v1/tenants/${tenantB.tenantId}/destinations`, {
      name: "Globex private receiver",
      variant: { type: "http_endpoint", url: "https://globex.example/hook" }
    }, admin)
    expect(otherDestination.status).toBe(201)
    const otherEvent = await client.post(`/v1/tenants/${tenantB.tenantId}/events`, {
      senderId: tenantB.senderId, eventType: "globex.secret", payload: { secret: true }
    }, admin)
    expect(otherEvent.status).toBe(201)
    const keyA = await client.post(`/v1/tenants/${state.tenantA.tenantId}/api-keys`, { name: "dashboard" }, admin)
    expect(keyA.status).toBe(201)

    await page.getByRole("button", { name: "Sign out" }).click()
    await signIn(page, tenantB.tenantId, keyA.body.key)
    await expect.poll(() => page.getByRole("alert").textContent(), TIMEOUT).toContain(`No tenant ${tenantB.tenantId} for this key`)

    await signIn(page, state.tenantA.tenantId, keyA.body.key)
    await page.getByRole("link", { name: "Destinations" }).click()
    await page.getByRole("link", { name: state.destinationName }).waitFor(TIMEOUT)
    expect(await page.getByText("Globex private receiver").count()).toBe(0)

    // Another tenant's event, even by its id, is not there for this key.
    await page.goto(`${running.server.url}/ui#/events/${otherEvent.body.id}`)
    await page.getByRole("alert").filter({ hasText: "not found" }).waitFor(TIMEOUT)
    expect(await page.getByText("globex.secret").count()).toBe(0)
    await shot(page, "tenant-isolation")
  }, 90_000)

  it("works on a narrow screen, from the keyboard, in the dark theme", async () => {
    const page = state.page
    await page.setViewportSize({ width: 390, height: 844 })
    await page.emulateMedia({ colorScheme: "dark" })
    const fitsTheScreen = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)
    await page.goto(`${running.server.url}/ui#/overview`)
    // A fresh load of the page, as when the tab is opened: keyboard focus starts at the top.
    await page.reload()
    await page.getByRole("heading", { name: "Overview" }).waitFor(TIMEOUT)
    await page.getByText("Success rate").waitFor(TIMEOUT)
    expect(await fitsTheScreen()).toBe(true)
    // The system's dark theme: a dark background.
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor)
    expect(background).toBe("rgb(17, 19, 23)")

    // Tab to the Events link and open it with Enter.
    let focused = ""
    for (let i = 0; i < 10 && focused !== "Events"; i++) {
      await page.keyboard.press("Tab")
      focused = await page.evaluate(() => document.activeElement?.textContent ?? "")
    }
    expect(focused).toBe("Events")
    await page.keyboard.press("Enter")
    await page.getByRole("heading", { name: "Events" }).waitFor(TIMEOUT)
    await page.getByText("invoice.paid").first().waitFor(TIMEOUT)
    expect(await fitsTheScreen()).toBe(true)
    await shot(page, "events-narrow-dark")
    await page.getByRole("link", { name: "invoice.paid" }).first().click()
    await page.getByRole("listitem", { name: "Attempt 2" }).waitFor(TIMEOUT)
    expect(await fitsTheScreen()).toBe(true)
    await shot(page, "event-narrow-dark")
    expect(state.pageErrors).toEqual([])
    await page.context().close()
  }, 90_000)
})
