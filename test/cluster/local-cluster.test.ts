/**
 * `signal cluster` as users run it: gateways and a dispatcher as processes behind its round-robin
 * proxy. A gateway that dies is passed over; stopping the cluster stops every process it started,
 * the dead one's exit notwithstanding.
 */
import { createDatabase } from "@signal/store/TestDatabase"
import { Effect } from "effect"
import { readFileSync } from "node:fs"
import { createServer } from "node:net"
import { afterAll, describe, expect, it } from "vitest"
import { childrenOf, isRunning } from "../support/cpu"
import { api, eventually } from "../support/http"
import { type SignalProcess, spawnSignal } from "../support/process"

/** Where the kernel picks the local ports of outgoing connections (and of `listen(0)`). */
const ephemeralFrom = () => {
  try {
    return Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]) || 32768
  } catch {
    return 32768
  }
}

/**
 * `count` consecutive loopback ports that are free now, below the ephemeral range: the cluster binds
 * them seconds later, and meanwhile every connection the suite's other files open takes an ephemeral
 * port, which once was one of these (the dispatcher then could not listen and exited).
 */
const freeRun = async (count: number): Promise<number> => {
  const bindable = (port: number) =>
    new Promise<boolean>((resolve) => {
      const server = createServer().once("error", () => resolve(false))
      server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)))
    })
  const below = ephemeralFrom() - count
  for (;;) {
    const first = 10_000 + Math.floor(Math.random() * (below - 10_000))
    let all = true
    for (let port = first; port < first + count && all; port++) all = await bindable(port)
    if (all) return first
  }
}

/** The processes `pid` started, with their command lines. */
const commandsOf = (pid: number) =>
  childrenOf(pid).map((child) => {
    try {
      return { pid: child, command: readFileSync(`/proc/${child}/cmdline`, "utf8").split("\0").join(" ") }
    } catch {
      return { pid: child, command: "" }
    }
  })

let cluster: SignalProcess | undefined
afterAll(() => {
  if (cluster === undefined) return
  for (const child of childrenOf(cluster.child.pid!)) {
    try {
      process.kill(child, "SIGKILL")
    } catch {
      // ended meanwhile
    }
  }
  cluster.kill("SIGKILL")
})

describe("signal cluster", () => {
  it("serves through its proxy while one gateway is gone, and stops every process on SIGTERM", async () => {
    // entry, two gateways, the dispatcher's HTTP port, its runner port
    const port = await freeRun(5)
    cluster = await spawnSignal({ DATABASE_URL: await Effect.runPromise(createDatabase()), PORT: String(port) }, {
      args: [
        "--import",
        "tsx/esm",
        "packages/server/src/main.ts",
        "cluster",
        "--gateways",
        "2",
        "--dispatchers",
        "1",
        "--port",
        String(port),
        "--runner-port",
        String(port + 4)
      ],
      timeoutMs: 90_000
    })
    const gateways = commandsOf(cluster.child.pid!).filter((child) => child.command.includes("--role gateway"))
    expect(gateways, cluster.output()).toHaveLength(2)
    const client = api(cluster.url)
    // both gateways ready behind the proxy before one of them goes
    await eventually(async () => (await fetch(`http://127.0.0.1:${port + 2}/ready`)).ok || undefined, { what: "the second gateway" })

    process.kill(gateways[0]!.pid, "SIGKILL")
    // gone: its port refuses connections (a request racing the kill itself may get a 502)
    const refuses = (gatewayPort: number) =>
      fetch(`http://127.0.0.1:${gatewayPort}/health`).then(() => false, () => true)
    await eventually(async () => (await refuses(port + 1)) || (await refuses(port + 2)) || undefined, {
      what: "the killed gateway's port to refuse connections"
    })
    const statuses: Array<number> = []
    for (let n = 0; n < 6; n++) {
      statuses.push((await client.put("/v1/tenants", { identifier: `proxy-${n}`, name: "Proxy" })).status)
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200])

    const left = childrenOf(cluster.child.pid!).filter(isRunning)
    expect(left.length, `${JSON.stringify(commandsOf(cluster.child.pid!))}\n${cluster.output()}`).toBeGreaterThanOrEqual(2)
    cluster.kill("SIGTERM")
    const code = await Promise.race([cluster.exited, new Promise((resolve) => setTimeout(() => resolve("still running"), 30_000))])
    expect(code).not.toBe("still running")
    // each got SIGTERM from the cluster; a process gone within its shutdown time is gone
    await eventually(async () => left.filter(isRunning).length === 0 || undefined, {
      timeoutMs: 15_000,
      what: `the cluster's processes ${left.filter(isRunning).join(", ")} to end`
    })
  }, 150_000)
})
