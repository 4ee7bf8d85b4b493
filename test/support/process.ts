import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("../..", import.meta.url))

export interface SignalProcess {
  readonly url: string
  readonly child: ChildProcess
  readonly output: () => string
  /** Resolves with the exit code (or signal) once the process ended. */
  readonly exited: Promise<number | string | null>
  kill: (signal: NodeJS.Signals) => void
}

/**
 * Runs `signal start` as a real process (from the sources unless `args`/`cwd` say otherwise, e.g. the
 * build in an installed copy) and waits until it is healthy.
 */
export const spawnSignal = async (
  env: Record<string, string>,
  options: {
    readonly healthPath?: string
    readonly timeoutMs?: number
    /** node's arguments; default: the TypeScript entry point through tsx. */
    readonly args?: ReadonlyArray<string>
    readonly cwd?: string
  } = {}
): Promise<SignalProcess> => {
  const args = options.args ?? ["--import", "tsx/esm", "packages/server/src/main.ts", "start"]
  const child = spawn(process.execPath, args, {
    cwd: options.cwd ?? root,
    env: { ...process.env, SIGNAL_LOG_FORMAT: "json", SIGNAL_LOG_LEVEL: "Warning", ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let output = ""
  child.stdout!.on("data", (chunk) => (output += chunk))
  child.stderr!.on("data", (chunk) => (output += chunk))
  const exited = new Promise<number | string | null>((resolve) => child.on("exit", (code, signal) => resolve(code ?? signal)))
  const url = `http://127.0.0.1:${env.PORT}`
  const deadline = Date.now() + (options.timeoutMs ?? 30_000)
  while (true) {
    if (child.exitCode !== null) throw new Error(`signal exited early:\n${output}`)
    try {
      const response = await fetch(`${url}${options.healthPath ?? "/ready"}`, { signal: AbortSignal.timeout(2_000) })
      if (response.ok) break
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL")
      throw new Error(`signal did not become ready:\n${output}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return { url, child, exited, output: () => output, kill: (signal) => child.kill(signal) }
}

/** Runs a `signal` command to its end (killed after `timeoutMs`): its exit code and everything it printed. */
export const runSignalCommand = (args: ReadonlyArray<string>, env: Record<string, string>, timeoutMs = 60_000) =>
  new Promise<{ readonly code: number | null; readonly output: string }>((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx/esm", "packages/server/src/main.ts", ...args], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let output = ""
    child.stdout!.on("data", (chunk) => (output += chunk))
    child.stderr!.on("data", (chunk) => (output += chunk))
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs)
    child.on("exit", (code) => {
      clearTimeout(timer)
      resolve({ code, output })
    })
  })
