import { type RunningServer, startTestServer } from "@signal/server/TestServer"
import { afterAll, beforeAll } from "vitest"
import { api, type Api } from "./http"

/** One in-process Signal for a test file: started before its tests, stopped after them. */
export const useTestServer = (options?: Parameters<typeof startTestServer>[0]) => {
  const running = { server: undefined as unknown as RunningServer, client: undefined as unknown as Api }
  beforeAll(async () => {
    running.server = await startTestServer(options)
    running.client = api(running.server.url)
  })
  afterAll(async () => {
    await running.server?.stop()
  })
  return running
}
