import { createServer, type Server, type Socket } from "node:net"
import type { AddressInfo } from "node:net"
import { afterAll } from "vitest"

/** What a raw receiver does with a connection once a whole request head arrived. */
export type RawResponder = (socket: Socket) => void

/**
 * A receiver on 127.0.0.1 that answers with whatever bytes it is told, below HTTP: responses Node's
 * own server refuses to produce (NUL bytes in headers, a reset mid-body, silence).
 */
export interface RawReceiver {
  readonly url: string
  /** Requests whose head arrived so far. */
  readonly requests: () => number
  close: () => Promise<void>
}

export const startRawReceiver = async (respond: RawResponder): Promise<RawReceiver> => {
  let requests = 0
  const sockets = new Set<Socket>()
  const server: Server = createServer((socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
    socket.on("error", () => {})
    let head = ""
    socket.on("data", (chunk) => {
      if (head.includes("\r\n\r\n")) return
      head += chunk.toString("latin1")
      if (head.includes("\r\n\r\n")) {
        requests++
        respond(socket)
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      })
  }
}

/** Raw receivers for a test file, closed after its tests. */
export const useRawReceivers = () => {
  const receivers: Array<RawReceiver> = []
  afterAll(async () => {
    for (const receiver of receivers) await receiver.close()
  })
  return async (respond: RawResponder) => {
    const started = await startRawReceiver(respond)
    receivers.push(started)
    return started
  }
}
