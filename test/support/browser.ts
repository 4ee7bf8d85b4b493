import { type Browser, chromium } from "playwright-core"
import { mkdirSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll } from "vitest"

/** Debian's Chromium (`apt-get install chromium`), which `.ci/run` installs when it is missing. */
export const CHROMIUM = "/usr/bin/chromium"

/** Screenshots of browser tests; git-ignored. */
export const artifactsDir = fileURLToPath(new URL("../artifacts/", import.meta.url))

/** One headless Chromium for a test file, closed after its tests; it talks to 127.0.0.1 only. */
export const useChromium = () => {
  const running = { browser: undefined as unknown as Browser }
  beforeAll(async () => {
    mkdirSync(artifactsDir, { recursive: true })
    running.browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--no-sandbox",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-default-apps",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--metrics-recording-only"
      ]
    })
  })
  afterAll(async () => {
    await running.browser?.close()
  })
  return running
}
