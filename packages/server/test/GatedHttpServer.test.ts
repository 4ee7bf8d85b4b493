import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Exit, Layer, Scope } from "effect"
import { createGatedServer } from "../src/GatedHttpServer"

describe("createGatedServer", () => {
  it.live("answers 503 while listening without an app, the app while it serves, 503 again once it stopped", () =>
    Effect.gen(function*() {
      const serverScope = yield* Scope.make()
      const server = yield* Layer.buildWithScope(
        NodeHttpServer.layer(createGatedServer, { port: 0, host: "127.0.0.1" }),
        serverScope
      )
      const { port } = Context.get(server, HttpServer.HttpServer).address as HttpServer.TcpAddress
      // Time-bounded: a request nobody answers fails the test instead of hanging it.
      const get = Effect.promise(async () => {
        const response = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5_000) })
        return { status: response.status, retryAfter: response.headers.get("retry-after"), body: await response.json() }
      })
      const unavailable = {
        status: 503,
        retryAfter: "1",
        body: { code: "unavailable", message: "Signal is starting or shutting down; try again in a moment" }
      }

      expect(yield* get).toEqual(unavailable)

      const appScope = yield* Scope.make()
      yield* Layer.buildWithScope(HttpServer.serve(HttpServerResponse.unsafeJson({ served: true })), appScope).pipe(
        Effect.provide(server)
      )
      expect(yield* get).toEqual({ status: 200, retryAfter: null, body: { served: true } })
      expect(yield* get).toEqual({ status: 200, retryAfter: null, body: { served: true } })

      // The app stops first, the server closes after: a kept-alive connection's next request still gets an answer.
      yield* Scope.close(appScope, Exit.void)
      expect(yield* get).toEqual(unavailable)
      yield* Scope.close(serverScope, Exit.void)
    }))
})
