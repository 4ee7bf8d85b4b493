import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as HttpServerError from "@effect/platform/HttpServerError"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import { Effect, Inspectable } from "effect"
import type { IncomingMessage } from "node:http"

/** A request body read whole, or why it was not. */
export type RequestBody =
  | { readonly _tag: "Read"; readonly text: string }
  | { readonly _tag: "TooLarge" }

/**
 * The body of a request served by `node:http`, read once as UTF-8 text, at most `maxBytes` of it.
 * The platform's own `request.text` costs ~60–90 µs of CPU more per request (it builds a cached
 * effect through `Effect.runSync`, and a resource scope around the read), a tenth of a publish.
 * Past the limit the request is destroyed as the platform does (`GatedHttpServer` then lingers on
 * a chunked one, so that its 413 is read); a connection lost mid-body fails as the platform's
 * read would.
 */
export const read = (
  request: HttpServerRequest.HttpServerRequest,
  maxBytes: number
): Effect.Effect<RequestBody, HttpServerError.RequestError> =>
  Effect.async((resume) => {
    const source = request.source as IncomingMessage
    const chunks: Array<Buffer> = []
    let size = 0
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size <= maxBytes) return void chunks.push(chunk)
      detach()
      source.destroy()
      resume(Effect.succeed({ _tag: "TooLarge" }))
    }
    const onEnd = () => {
      detach()
      resume(Effect.succeed({ _tag: "Read", text: Buffer.concat(chunks, size).toString("utf8") }))
    }
    const onError = (cause: Error) => {
      detach()
      resume(Effect.fail(new HttpServerError.RequestError({ request, reason: "Transport", cause })))
    }
    const detach = () => {
      source.off("data", onData)
      source.off("end", onEnd)
      source.off("error", onError)
    }
    source.on("data", onData)
    source.on("end", onEnd)
    source.on("error", onError)
    return Effect.sync(detach)
  })

/**
 * The request as the handler sees it once its body has been read: `text` and `json` (the only reads
 * of a JSON API) answer from the text read, the stream being spent; everything else is the request's
 * own. A class that delegates, not `Object.create(request)`: making each request a prototype cost
 * ~3–4 µs.
 */
class BodyRead extends Inspectable.Class implements HttpServerRequest.HttpServerRequest {
  readonly [HttpServerRequest.TypeId]: HttpServerRequest.TypeId = HttpServerRequest.TypeId
  readonly [HttpIncomingMessage.TypeId]: HttpIncomingMessage.TypeId = HttpIncomingMessage.TypeId
  readonly text: Effect.Effect<string, HttpServerError.RequestError>
  readonly json: Effect.Effect<unknown, HttpServerError.RequestError>

  constructor(private readonly request: HttpServerRequest.HttpServerRequest, text: string) {
    super()
    this.text = Effect.succeed(text)
    this.json = Effect.try({
      try: () => (text === "" ? null : JSON.parse(text)) as unknown,
      catch: (cause) => new HttpServerError.RequestError({ request, reason: "Decode", cause })
    })
  }

  get source() {
    return this.request.source
  }
  get url() {
    return this.request.url
  }
  get originalUrl() {
    return this.request.originalUrl
  }
  get method() {
    return this.request.method
  }
  get headers() {
    return this.request.headers
  }
  get cookies() {
    return this.request.cookies
  }
  get remoteAddress() {
    return this.request.remoteAddress
  }
  get multipart() {
    return this.request.multipart
  }
  get multipartStream() {
    return this.request.multipartStream
  }
  get upgrade() {
    return this.request.upgrade
  }
  get urlParamsBody() {
    return this.request.urlParamsBody
  }
  get arrayBuffer() {
    return this.request.arrayBuffer
  }
  get stream() {
    return this.request.stream
  }
  modify(options: Parameters<HttpServerRequest.HttpServerRequest["modify"]>[0]) {
    return this.request.modify(options)
  }
  toJSON() {
    return this.request.toJSON()
  }
}

export const withText = (request: HttpServerRequest.HttpServerRequest, text: string): HttpServerRequest.HttpServerRequest =>
  new BodyRead(request, text)
