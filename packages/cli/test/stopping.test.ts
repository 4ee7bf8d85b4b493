/** A command stopped before it finished is not a success: exit 130, nothing on stdout. */
import { describe, expect, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import { type AddressInfo, createServer, type Socket } from "node:net"
import { bin, cleanEnv } from "./support"

describe("a stopped command", () => {
  it("exits 130 when Ctrl-C or SIGTERM ends a request that has not been answered", async () => {
    // accepts connections and never answers
    const sockets: Array<Socket> = []
    const silent = createServer((socket) => sockets.push(socket))
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve))
    const endpoint = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`
    try {
      for (const signal of ["SIGINT", "SIGTERM"] as const) {
        const connected = sockets.length
        const child = spawn(process.execPath, [bin, "destinations", "list", "--json"], {
          env: cleanEnv({ SIGNAL_ENDPOINT: endpoint, SIGNAL_TENANT: "ten_00000000000000000000000000" })
        })
        let stdout = ""
        child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk))
        const exited = new Promise<number | null>((resolve) => child.on("close", resolve))
        const deadline = Date.now() + 20_000
        while (sockets.length === connected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
        expect(sockets.length, "the request reached the server").toBe(connected + 1)
        child.kill(signal)
        expect(await exited, signal).toBe(130)
        expect(stdout).toBe("")
      }
    } finally {
      for (const socket of sockets) socket.destroy()
      silent.close()
    }
  }, 60_000)
})
