/**
 * A Signal process listens before its API is built. Requests that reach it in between are answered
 * (503, `Retry-After`), never left hanging; once it is ready it serves them.
 */
import { createDatabase } from "@signal/store/TestDatabase"
import { Effect } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { freePort } from "../support/postgres"
import { type SignalProcess, spawnSignal } from "../support/process"

let signal: SignalProcess | undefined
afterAll(async () => {
  signal?.kill("SIGTERM")
  await signal?.exited
})

describe("a starting Signal process", () => {
  it("answers every request that reaches it while it starts: 503 to be tried again until it serves", async () => {
    const port = await freePort()
    const starting = spawnSignal({
      DATABASE_URL: await Effect.runPromise(createDatabase()),
      PORT: String(port),
      SIGNAL_RUNNER_PORT: String(await freePort())
    }, { timeoutMs: 60_000 })
    let ready = false
    void starting.then((started) => {
      signal = started
      ready = true
    }, () => (ready = true))

    // Every 5 ms from the spawn until ready, none awaited before the next: each ends answered, refused or hung.
    const outcomes: Array<Promise<string>> = []
    while (!ready) {
      outcomes.push(
        fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(10_000) }).then(
          async (response) => `${response.status} ${response.headers.get("retry-after")} ${(await response.json()).code}`,
          (error: Error) => error.name === "TimeoutError" ? "hung" : "refused"
        )
      )
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    await starting
    const seen = new Set(await Promise.all(outcomes))
    expect([...seen].filter((outcome) => !["refused", "503 1 unavailable", "200 null undefined"].includes(outcome)))
      .toEqual([])
    // the gap between listening and serving lasts ~100 ms: some of the requests land in it
    expect(seen.has("503 1 unavailable")).toBe(true)
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200)
  })
})
