/**
 * How fast the `signal` binary answers (`npm run bench:cli`): `signal --help`, and a list command
 * against a local server (`signal tenants get` and `signal destinations list`). Each is run as a
 * fresh process, as a person or a script runs it; wall time and CPU time (user + system, which a
 * busy machine does not inflate) are reported as the median of the runs.
 */
import { execFileSync, spawnSync } from "node:child_process"
import { loadavg } from "node:os"
import { fileURLToPath } from "node:url"
import { startScratchPostgres } from "../test/support/postgres"
import { startSignal } from "./processes"

const bin = fileURLToPath(new URL("../packages/cli/bin/signal.mjs", import.meta.url))
const runs = Number(process.argv[2] ?? 15)

execFileSync(process.execPath, [fileURLToPath(new URL("../scripts/bundle.mjs", import.meta.url))], { stdio: "inherit" })

const median = (values: ReadonlyArray<number>) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

/** CPU time of one run of the binary, from the kernel's accounting of this process's children. */
const cpuOf = (args: ReadonlyArray<string>, env: Record<string, string>) => {
  const result = spawnSync("/usr/bin/time", ["-f", "%e %U %S", process.execPath, bin, ...args], {
    env: { ...process.env, ...env },
    encoding: "utf8",
    stdio: ["ignore", "ignore", "pipe"]
  })
  const line = result.stderr.trim().split("\n").at(-1)!
  const [wall, user, system] = line.split(" ").map(Number)
  if (result.status !== 0 || wall === undefined || user === undefined || system === undefined) {
    throw new Error(`signal ${args.join(" ")}: ${result.stderr}`)
  }
  return { wallMs: wall * 1000, cpuMs: (user + system) * 1000 }
}

const report = (label: string, args: ReadonlyArray<string>, env: Record<string, string>) => {
  cpuOf(args, env) // warm the page cache
  const samples = Array.from({ length: runs }, () => cpuOf(args, env))
  console.log(
    `${label.padEnd(34)} wall p50 ${median(samples.map((s) => s.wallMs)).toFixed(0).padStart(4)} ms` +
      `  CPU p50 ${median(samples.map((s) => s.cpuMs)).toFixed(0).padStart(4)} ms  (${runs} runs)`
  )
}

const postgres = await startScratchPostgres()
await postgres.server.createDatabase("signal")
const server = await startSignal({ DATABASE_URL: postgres.url("signal"), SIGNAL_ROLE: "gateway" })
try {
  const base = { NO_COLOR: "1", SIGNAL_CONFIG: "/nonexistent/signal-config.json", SIGNAL_ENDPOINT: server.url }
  const tenant = JSON.parse(
    execFileSync(process.execPath, [bin, "tenants", "upsert", "--identifier", "bench-cli", "--name", "Bench", "--json"], {
      env: { ...process.env, ...base },
      encoding: "utf8"
    })
  ).id as string
  const env = { ...base, SIGNAL_TENANT: tenant }
  console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(" ")}; node ${process.version}`)
  report("signal --help", ["--help"], env)
  report("signal --version", ["--version"], env)
  report("signal tenants get (live server)", ["tenants", "get"], env)
  report("signal destinations list (live)", ["destinations", "list"], env)
} finally {
  await server.stop()
  await postgres.dispose()
}
