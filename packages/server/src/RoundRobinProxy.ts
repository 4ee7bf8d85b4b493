import { Effect } from "effect"
import { createServer, type IncomingMessage, request as httpRequest, type Server, type ServerResponse } from "node:http"

/** Larger request bodies are refused here: each is held in memory until a gateway takes it. */
const MAX_BODY_BYTES = 16 * 1024 * 1024

const answer = (res: ServerResponse, status: number, code: string, message: string) => {
  if (res.headersSent) return res.destroy()
  res.writeHead(status, { "content-type": "application/json", connection: "close" })
  res.end(JSON.stringify({ code, message }))
}

/** The whole body, or `undefined` once it grew past the limit (the rest is read and dropped). */
const bodyOf = (req: IncomingMessage) =>
  new Promise<Buffer | undefined>((resolve) => {
    const chunks: Array<Buffer> = []
    let size = 0
    const collect = (chunk: Buffer) => {
      size += chunk.length
      if (size <= MAX_BODY_BYTES) return chunks.push(chunk)
      req.off("data", collect)
      req.resume()
      resolve(undefined)
    }
    req.on("data", collect)
    req.on("end", () => resolve(Buffer.concat(chunks)))
    // a client gone before its body ended: nothing to forward
    req.on("close", () => resolve(undefined))
  })

/** Methods a request may be sent again with (RFC 9110 §9.2.2): a POST may have been acted on already. */
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"])

/**
 * A request goes to the next gateway in turn; one that refuses the connection (not started, or gone)
 * is skipped for the next, as a load balancer's health checks would, since nothing reached it. An
 * idempotent request whose kept connection the gateway closed meanwhile (or died with) is tried once
 * more on a new one. A gateway that fails mid-answer resets the client's connection rather than
 * leaving it waiting.
 */
const forward = (upstreams: ReadonlyArray<number>, first: number, req: IncomingMessage, res: ServerResponse, body: Buffer) => {
  const attempt = (tried: number, newConnection: boolean) => {
    const port = upstreams[(first + tried) % upstreams.length]!
    const upstream = httpRequest({
      host: "127.0.0.1",
      port,
      method: req.method,
      path: req.url,
      headers: req.headers,
      ...(newConnection ? { agent: false } : {})
    }, (reply) => {
      res.writeHead(reply.statusCode ?? 502, reply.headers)
      reply.pipe(res)
      reply.on("close", () => reply.complete || res.destroy())
    })
    upstream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "ECONNRESET" && upstream.reusedSocket && !newConnection && IDEMPOTENT.has(req.method ?? "")) {
        return attempt(tried, true)
      }
      if (error.code === "ECONNREFUSED" && tried + 1 < upstreams.length) return attempt(tried + 1, false)
      answer(res, 502, "bad_gateway", `gateway on port ${port} unreachable`)
    })
    res.on("close", () => upstream.destroy())
    upstream.end(body)
  }
  attempt(0, false)
}

/** A tiny round-robin HTTP proxy standing in for the load balancer in front of the gateways. */
export const roundRobinProxy = (port: number, host: string, upstreams: ReadonlyArray<number>) =>
  Effect.acquireRelease(
    Effect.async<Server>((resume) => {
      let next = 0
      const server = createServer((req, res) => {
        const first = next++ % upstreams.length
        void bodyOf(req).then((body) => {
          if (res.destroyed) return
          if (body === undefined) {
            return answer(res, 413, "payload_too_large", `request bodies above ${MAX_BODY_BYTES} bytes are refused`)
          }
          forward(upstreams, first, req, res, body)
        })
      })
      server.once("error", (error) => resume(Effect.die(error)))
      server.listen(port, host, () => resume(Effect.succeed(server)))
    }),
    (server) =>
      Effect.async<void>((resume) => {
        server.close(() => resume(Effect.void))
        server.closeAllConnections()
      })
  )
