import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"

export interface LiveServer {
  readonly url: string
  readonly stop: () => Promise<void>
}

export interface LiveServerOptions {
  readonly allowPrivateNetworks?: string
}

/** The server package's test harness; absent until that package provides it. */
export const testServerPath = fileURLToPath(new URL("../../server/src/TestServer.ts", import.meta.url))
export const hasTestServer = existsSync(testServerPath)

/**
 * Starts the full Signal server (fresh database, loopback delivery allowed) through
 * `@signal/server/TestServer`. The module is loaded at run time only: the client must not depend on
 * server code, and a compile-time reference would close a cycle (server → cli → client).
 */
export const startTestServer = async (options?: LiveServerOptions): Promise<LiveServer> => {
  const specifier = "@signal/server/TestServer"
  const module = (await import(/* @vite-ignore */ specifier)) as {
    readonly startTestServer: (options?: LiveServerOptions) => Promise<LiveServer>
  }
  return module.startTestServer(options)
}

/** Stops the server, failing clearly (instead of hanging the hook) if shutdown does not finish. */
export const stopServer = async (server: LiveServer | undefined, timeoutMs = 30_000): Promise<void> => {
  if (server === undefined) return
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    await Promise.race([
      server.stop(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the test server did not stop within ${timeoutMs / 1000}s`)), timeoutMs)
      })
    ])
  } finally {
    clearTimeout(timer)
  }
}
