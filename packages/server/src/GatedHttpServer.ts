import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { Duplex } from "node:stream"

const unavailableBody = JSON.stringify({
  code: "unavailable",
  message: "Signal is starting or shutting down; try again in a moment"
})

/** 503, to be tried again, on a connection that closes after it (a client then reconnects, maybe elsewhere). */
const unavailable = (_request: IncomingMessage, response: ServerResponse) => {
  response.writeHead(503, { "content-type": "application/json", "retry-after": "1", connection: "close" })
  response.end(unavailableBody)
}

/** What Node's HTTP parser refused, as the API's own errors say it: status, `_tag`, code and message. */
const refusal = (code: string | undefined) =>
  code === "HPE_HEADER_OVERFLOW"
    ? [431, "Request Header Fields Too Large", "HeadersTooLarge", "headers_too_large", "the request's header block exceeds 16 KiB"] as const
    : code === "HPE_CHUNK_EXTENSIONS_OVERFLOW"
    ? [413, "Payload Too Large", "PayloadTooLarge", "payload_too_large", "the request's chunk extensions are too large"] as const
    : code === "ERR_HTTP_REQUEST_TIMEOUT"
    ? [408, "Request Timeout", "BadRequest", "request_timeout", "the request did not arrive in time"] as const
    : [400, "Bad Request", "BadRequest", "invalid_http", "the request is not valid HTTP/1.1"] as const

/**
 * A request Node cannot parse (a malformed request line, header, length or chunk; headers over 16 KiB)
 * never reaches the app: it is answered here in JSON with a stable code, then the connection closes.
 */
const clientError = (error: NodeJS.ErrnoException, socket: Duplex & { readonly _httpMessage?: ServerResponse | null }) => {
  // As Node's own answer: written unless a response on this connection has begun (its bytes would be
  // interleaved; `_httpMessage` is the response Node is writing), then the connection is dropped.
  if (error.code !== "ECONNRESET" && socket.writable && socket._httpMessage?.headersSent !== true) {
    const [status, reason, tag, code, message] = refusal(error.code)
    const body = JSON.stringify({ _tag: tag, code, message })
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
        `connection: close\r\n\r\n${body}`
    )
  }
  socket.destroy()
}

/** How long the rest of a refused chunked body is read and dropped before its connection is closed. */
const LINGER_MS = 2_000

/**
 * The platform destroys a request whose body passes the size limit, and with it the connection, before
 * the 413 the API answers is written. A body that announced its size is refused before it is read; one
 * sent without (chunked) is instead read on and dropped for a while (a lingering close: a client still
 * sending when the connection went would lose the answer with it), then the connection closes. A
 * connection already gone (the client gave up) destroys the request as before.
 */
const answerChunkedOverflow = (request: IncomingMessage) => {
  if (request.headers["content-length"] !== undefined || request.headers["transfer-encoding"] === undefined) return
  const destroy = request.destroy
  request.destroy = function(this: IncomingMessage, error?: Error) {
    if (this.complete || this.socket.destroyed) return destroy.call(this, error)
    this.resume()
    const socket = this.socket
    setTimeout(() => socket.destroy(), LINGER_MS).unref()
    return this
  }
}

/**
 * A `node:http` server for `NodeHttpServer.layer`. That layer listens as soon as it is built, but the app
 * handles requests only once everything it needs is built, and stops before the server has closed; a
 * request arriving in between, which `node:http` would leave unanswered until the client gives up, is
 * answered 503 with `Retry-After` instead.
 */
export const createGatedServer = (): Server => {
  const server = createServer(unavailable)
  server.on("clientError", clientError)
  // before the app's listener, and not counted as one
  server.prependListener("request", answerChunkedOverflow)
  let handlers = 0
  server.on("newListener", (event, listener) => {
    if (event === "request" && listener !== unavailable && handlers++ === 0) server.off("request", unavailable)
  })
  server.on("removeListener", (event, listener) => {
    if (event === "request" && listener !== unavailable && --handlers === 0) server.on("request", unavailable)
  })
  return server
}
