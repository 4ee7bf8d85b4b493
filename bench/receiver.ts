/**
 * The bench's webhook receiver, run as its own process so that Signal's load does not slow it down
 * (sharing an event loop with a saturated Signal, it accepted some connections only 10–30 s late).
 * Reports over IPC: its port once listening, then its figures whenever asked (`reset` starts them over).
 *
 * Paths:
 * * `/hook`: answers 200; its events count as delivered, with their publish → receipt latency;
 * * `/flaky`: answers 500 the first time it sees an event and 200 after (a retry to time);
 * * `/hang`: never answers, holding the request open until the sender gives up;
 * * `/v1/traces`, `/v1/metrics`, `/v1/logs`: an OTLP/HTTP sink: bytes counted, never parsed, answered
 *   200 with an empty body (an empty protobuf message, or `{}` for JSON).
 */
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"

export interface ReceiverStats {
  readonly requests: number
  /** Distinct events received at least once on `/hook`. */
  readonly delivered: number
  readonly connections: number
  /** Publish → receipt on `/hook`, milliseconds, one per request; only sent when asked for with `"final"`. */
  readonly latencies: ReadonlyArray<number>
  /** `/flaky`: distinct events answered 500, and those answered 200 afterwards. */
  readonly flakyFailed: number
  readonly flakyDelivered: number
  /** `/hang`: requests held open. */
  readonly hung: number
  /** OTLP/HTTP bytes and requests, by path (`/v1/traces`, …). */
  readonly otlp: Readonly<Record<string, { readonly bytes: number; readonly requests: number }>>
}

const events = new Set<string>()
const latencies: Array<number> = []
const flaky = new Map<string, "failed" | "delivered">()
let requests = 0
let hung = 0
let connections = 0
let otlp: Record<string, { bytes: number; requests: number }> = {}

const server = createServer((req, res) => {
  const path = (req.url ?? "/").split("?")[0]!
  if (path === "/hang") {
    hung++
    req.resume()
    return
  }
  const chunks: Array<Buffer> = []
  req.on("data", (chunk: Buffer) => chunks.push(chunk))
  req.on("end", () => {
    const body = Buffer.concat(chunks)
    if (path.startsWith("/v1/")) {
      const sink = (otlp[path] ??= { bytes: 0, requests: 0 })
      sink.bytes += body.length
      sink.requests++
      const json = (req.headers["content-type"] ?? "").includes("json")
      res.writeHead(200, { "content-type": json ? "application/json" : "application/x-protobuf" })
      res.end(json ? "{}" : "")
      return
    }
    const event = JSON.parse(body.toString("utf8"))
    if (path === "/flaky") {
      const first = !flaky.has(event.id)
      flaky.set(event.id, first ? "failed" : "delivered")
      res.writeHead(first ? 500 : 200)
      res.end(first ? "try again" : "ok")
      return
    }
    requests++
    // Events seeded straight into the database (the queue bench) carry no publish time.
    if (typeof event.payload?.sentAt === "number") latencies.push(Date.now() - event.payload.sentAt)
    events.add(event.id)
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
    flaky.clear()
    requests = 0
    hung = 0
    connections = 0
    otlp = {}
  }
  const flakyDelivered = [...flaky.values()].filter((state) => state === "delivered").length
  process.send!({
    requests,
    delivered: events.size,
    connections,
    latencies: question === "final" ? latencies : [],
    flakyFailed: flaky.size,
    flakyDelivered,
    hung,
    otlp
  } satisfies ReceiverStats)
})
process.on("disconnect", () => process.exit(0))
