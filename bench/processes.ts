/**
 * The processes a bench runs and measures, never inside its own process: Signal (`signal start` in a
 * role), helpers of the bench forked with IPC, and their CPU time and RSS read from /proc. Whatever
 * is still running when the bench exits is killed.
 */
import { type ChildProcess, fork, spawn } from "node:child_process"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { GATEWAY_NODE_OPTIONS } from "../packages/server/src/HeapGrowth"
import { processTicks, ticksToMicros } from "../test/support/cpu"
import { freePort } from "../test/support/postgres"
import type { ReceiverStats } from "./receiver"

const root = fileURLToPath(new URL("..", import.meta.url))
const children: Array<ChildProcess> = []
process.on("exit", () => children.forEach((child) => child.kill("SIGKILL")))

const waitReady = async (url: string, child: ChildProcess, output: () => string) => {
  const deadline = Date.now() + 60_000
  while (true) {
    if (child.exitCode !== null) throw new Error(`exited early:\n${output()}`)
    const ok = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(2_000) }).then((r) => r.ok, () => false)
    if (ok) return
    if (Date.now() > deadline) throw new Error(`not ready:\n${output()}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

export interface Proc {
  readonly url: string
  readonly child: ChildProcess
  readonly stop: () => Promise<void>
  /** The last 64 KiB the process printed (Signal processes only). */
  readonly output?: () => string
}

/**
 * A gateway's Node options as deployed, then BENCH_SIGNAL_NODE_OPTIONS for any Signal process (e.g. a
 * heap size), which take precedence.
 */
const nodeOptions = (role: string | undefined) => {
  const options = [role === "gateway" ? GATEWAY_NODE_OPTIONS : undefined, process.env.BENCH_SIGNAL_NODE_OPTIONS]
    .filter((option) => option !== undefined && option !== "")
  return options.length === 0 ? {} : { NODE_OPTIONS: options.join(" ") }
}

/**
 * `signal start` in the given role, compiled as `npm start` runs it (the bench scripts build first);
 * logs as in production (JSON at Info) into a pipe, the last 64 KiB kept.
 */
export const startSignal = async (env: Record<string, string>, profileDir?: string): Promise<Proc> => {
  const port = await freePort()
  const child = spawn(process.execPath, [
    // as `npm start` and `npm run cluster` run it: V8's helper threads sized to the machine
    // (BENCH_V8_POOL=default: Node's default of four, to compare)
    ...(process.env.BENCH_V8_POOL === "default" ? [] : ["--v8-pool-size=0"]),
    ...(profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : []),
    // another build of Signal to compare against, e.g. an earlier commit's tree built elsewhere
    process.env.BENCH_SIGNAL_MAIN ?? "packages/server/dist/main.js",
    "start"
  ], {
    cwd: root,
    env: {
      ...process.env,
      ...nodeOptions(env.SIGNAL_ROLE),
      SIGNAL_LOG_FORMAT: "json",
      SIGNAL_LOG_LEVEL: "Info",
      PORT: String(port),
      ...env
    },
    stdio: ["ignore", "pipe", "pipe"]
  })
  children.push(child)
  let output = ""
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-65_536))
  child.stdout!.on("data", keep)
  child.stderr!.on("data", keep)
  const url = `http://127.0.0.1:${port}`
  await waitReady(url, child, () => output)
  return { url, child, stop: () => stopChild(child), output: () => output }
}

export const stopChild = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve()
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000)
    child.once("exit", () => {
      clearTimeout(timer)
      resolve()
    })
    child.kill("SIGTERM")
  })

export const forkBench = async (file: string, env: Record<string, string> = {}) => {
  const child = fork(fileURLToPath(new URL(file, import.meta.url)), {
    execArgv: ["--import", "tsx/esm"],
    env: { ...process.env, ...env }
  })
  children.push(child)
  const port = await new Promise<number>((resolve, reject) => {
    child.once("message", (message) => resolve((message as { port: number }).port))
    child.once("exit", (code) => reject(new Error(`${file} exited with ${code}`)))
  })
  return { url: `http://127.0.0.1:${port}`, child, stop: () => stopChild(child) } satisfies Proc
}

/** CPU time (user + system) of a process so far, in microseconds, from /proc. */
export const cpuMicros = (pid: number) => ticksToMicros(processTicks(pid))
export const rssMiB = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024


/** The receiver (bench/receiver.ts) in its own process, and a way to ask it for its figures. */
export const startReceiver = async () => {
  const receiver = await forkBench("./receiver.ts")
  const ask = (question: "progress" | "final" | "reset") =>
    new Promise<ReceiverStats>((resolve) => {
      receiver.child.once("message", (stats) => resolve(stats as ReceiverStats))
      receiver.child.send(question)
    })
  return { ...receiver, ask }
}

/** Warnings and errors a Signal process logged (JSON lines), counted by message. */
export const loggedProblems = (output: string) => {
  const logged = new Map<string, number>()
  for (const line of output.split("\n")) {
    const message = /"message":"([^"]{0,100})/.exec(line)?.[1]
    if (message !== undefined && /"logLevel":"(WARN|ERROR|FATAL)"/.test(line)) logged.set(message, (logged.get(message) ?? 0) + 1)
  }
  return logged
}
