import { execFileSync } from "node:child_process"
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { runNode } from "../../client/test/nodeProcess"

export const bin = fileURLToPath(new URL("../bin/signal.mjs", import.meta.url))

// The binary runs the bundled command line: bring it up to date with the sources first (a no-op
// when nothing changed since the last build).
execFileSync(process.execPath, [fileURLToPath(new URL("../../../scripts/bundle.mjs", import.meta.url))], { stdio: "inherit" })

export interface CliResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

export interface RunOptions {
  readonly env?: Record<string, string | undefined>
  readonly input?: string
  readonly timeoutMs?: number
}

/** The environment of a user with nothing configured (no SIGNAL_* variables, no config file). */
export const cleanEnv = (extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", SIGNAL_CONFIG: "/nonexistent/signal-config.json" }
  for (const name of Object.keys(env)) {
    if (name.startsWith("SIGNAL_") && name !== "SIGNAL_CONFIG") delete env[name]
  }
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete env[name]
    else env[name] = value
  }
  return env
}

/** Runs the real `signal` binary (`node packages/cli/bin/signal.mjs …`). */
export const signal = (args: ReadonlyArray<string>, options: RunOptions = {}): Promise<CliResult> =>
  runNode([bin, ...args], { env: cleanEnv(options.env), input: options.input, timeoutMs: options.timeoutMs })

export const hasTestServer = existsSync(fileURLToPath(new URL("../../server/src/TestServer.ts", import.meta.url)))

// The live-server and process helpers are the client tests' own: one copy for both packages.
export { type LiveServer, startTestServer, stopServer } from "../../client/test/liveServer"
