import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { afterAll } from "vitest"

export interface ReceivedRequest {
  readonly method: string
  readonly path: string
  readonly headers: IncomingMessage["headers"]
  readonly body: string
  readonly receivedAt: number
}

export type Responder = (request: ReceivedRequest, index: number, response: ServerResponse) => void | Promise<void>

/** A real HTTP receiver on 127.0.0.1 that records what it is sent and answers as told. */
export interface Receiver {
  readonly url: string
  readonly requests: Array<ReceivedRequest>
  /** Highest number of requests being handled at the same time. */
  readonly maxConcurrent: () => number
  respondWith: (responder: Responder) => void
  close: () => Promise<void>
}

export const ok: Responder = (_request, _index, response) => {
  response.writeHead(200, { "content-type": "text/plain" })
  response.end("ok")
}

export const startReceiver = async (responder: Responder = ok): Promise<Receiver> => {
  const requests: Array<ReceivedRequest> = []
  let current = responder
  let active = 0
  let maxActive = 0
  const server: Server = createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("end", () => {
      const received: ReceivedRequest = {
        method: req.method ?? "",
        path: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        receivedAt: Date.now()
      }
      const index = requests.push(received) - 1
      active++
      maxActive = Math.max(maxActive, active)
      res.on("close", () => {
        active--
      })
      Promise.resolve(current(received, index, res)).catch(() => res.destroy())
    })
  })
  server.keepAliveTimeout = 1000
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    maxConcurrent: () => maxActive,
    respondWith: (next) => {
      current = next
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

/** Receivers for a test file: each one started through the returned function is closed after the file's tests. */
export const useReceivers = () => {
  const receivers: Array<Receiver> = []
  afterAll(async () => {
    for (const receiver of receivers) await receiver.close()
  })
  return async (responder?: Responder) => {
    const started = await startReceiver(responder)
    receivers.push(started)
    return started
  }
}
