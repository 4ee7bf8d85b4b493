/**
 * The bench's webhook receiver, run as its own process so that Signal's load does not slow it down
 * (sharing an event loop with a saturated Signal, it accepted some connections only 10–30 s late).
 * Reports over IPC: its port once listening, then its figures whenever asked (`reset` starts them over).
 */
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"

export interface ReceiverStats {
  readonly requests: number
  /** Distinct events received at least once. */
  readonly delivered: number
  readonly connections: number
  /** Publish → receipt, milliseconds, one per request; only sent when asked for with `"final"`. */
  readonly latencies: ReadonlyArray<number>
}

const events = new Set<string>()
const latencies: Array<number> = []
let connections = 0
const server = createServer((req, res) => {
  const chunks: Array<Buffer> = []
  req.on("data", (chunk: Buffer) => chunks.push(chunk))
  req.on("end", () => {
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8"))
    latencies.push(Date.now() - body.payload.sentAt)
    events.add(body.id)
    res.writeHead(200)
    res.end("ok")
  })
})
server.on("connection", () => connections++)
server.listen(0, "127.0.0.1", () => process.send!({ port: (server.address() as AddressInfo).port }))
process.on("message", (question: "progress" | "final" | "reset") => {
  // Between the systems a bench compares: forget what the previous one delivered.
  if (question === "reset") {
    events.clear()
    latencies.length = 0
    connections = 0
  }
  process.send!({
    requests: latencies.length,
    delivered: events.size,
    connections,
    latencies: question === "final" ? latencies : []
  } satisfies ReceiverStats)
})
process.on("disconnect", () => process.exit(0))
