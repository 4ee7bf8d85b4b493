import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"

const unavailableBody = JSON.stringify({
  code: "unavailable",
  message: "Signal is starting or shutting down; try again in a moment"
})

/** 503, to be tried again, on a connection that closes after it (a client then reconnects, maybe elsewhere). */
const unavailable = (_request: IncomingMessage, response: ServerResponse) => {
  response.writeHead(503, { "content-type": "application/json", "retry-after": "1", connection: "close" })
  response.end(unavailableBody)
}

/**
 * A `node:http` server for `NodeHttpServer.layer`. That layer listens as soon as it is built, but the app
 * handles requests only once everything it needs is built, and stops before the server has closed; a
 * request arriving in between, which `node:http` would leave unanswered until the client gives up, is
 * answered 503 with `Retry-After` instead.
 */
export const createGatedServer = (): Server => {
  const server = createServer(unavailable)
  let handlers = 0
  server.on("newListener", (event, listener) => {
    if (event === "request" && listener !== unavailable && handlers++ === 0) server.off("request", unavailable)
  })
  server.on("removeListener", (event, listener) => {
    if (event === "request" && listener !== unavailable && --handlers === 0) server.on("request", unavailable)
  })
  return server
}
