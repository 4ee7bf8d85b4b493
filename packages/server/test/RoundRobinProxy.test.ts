import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { createServer, type RequestListener, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { freePort } from "../src/FreePort"
import { roundRobinProxy } from "../src/RoundRobinProxy"

/** A stand-in gateway on a loopback port, closed with the test's scope. */
const gateway = (listener: RequestListener) =>
  Effect.acquireRelease(
    Effect.async<Server>((resume) => {
      const server = createServer(listener).listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
    }),
    (server) =>
      Effect.async<void>((resume) => {
        server.close(() => resume(Effect.void))
        server.closeAllConnections()
      })
  ).pipe(Effect.map((server) => (server.address() as AddressInfo).port))

/** Echoes which gateway answered and the body it got. */
const echo: RequestListener = (req, res) => {
  const chunks: Array<Buffer> = []
  req.on("data", (chunk) => chunks.push(chunk))
  req.on("end", () => {
    res.writeHead(201, { "content-type": "application/json" })
    res.end(JSON.stringify({ port: req.socket.localPort, body: Buffer.concat(chunks).toString() }))
  })
}

const post = (port: number, body: string) =>
  Effect.promise(async () => {
    const response = await fetch(`http://127.0.0.1:${port}/v1/x`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
      signal: AbortSignal.timeout(5_000)
    })
    return { status: response.status, body: await response.json() as { port?: number; body?: string } }
  })

describe("roundRobinProxy", () => {
  it.scoped("takes turns, skips a gateway that refuses connections, and says 502 when none is up", () =>
    Effect.gen(function*() {
      const live = yield* gateway(echo)
      const other = yield* gateway(echo)
      const gone = yield* Effect.promise(freePort)
      const proxy = yield* Effect.promise(freePort)
      yield* roundRobinProxy(proxy, "127.0.0.1", [live, gone, other])
      const answers = yield* Effect.forEach([1, 2, 3, 4, 5, 6], (n) => post(proxy, `{"n":${n}}`))
      expect(answers.map((answer) => answer.status)).toEqual([201, 201, 201, 201, 201, 201])
      expect(answers.map((answer) => answer.body.body)).toEqual([1, 2, 3, 4, 5, 6].map((n) => `{"n":${n}}`))
      // the turn that fell on the stopped gateway went to the one after it
      expect(answers.map((answer) => answer.body.port)).toEqual([live, other, other, live, other, other])

      const nothingUp = yield* Effect.promise(freePort)
      yield* roundRobinProxy(nothingUp, "127.0.0.1", [gone])
      expect(yield* post(nothingUp, "{}")).toEqual({
        status: 502,
        body: { code: "bad_gateway", message: `gateway on port ${gone} unreachable` }
      })
    }))

  it.scoped("ends the client's answer when its gateway fails halfway through it", () =>
    Effect.gen(function*() {
      const failing = yield* gateway((_req, res) => {
        res.writeHead(200, { "content-type": "application/json" })
        res.write(`{"items":[`)
        setTimeout(() => res.socket?.destroy(), 50)
      })
      const proxy = yield* Effect.promise(freePort)
      yield* roundRobinProxy(proxy, "127.0.0.1", [failing])
      const failure = yield* Effect.promise(() =>
        fetch(`http://127.0.0.1:${proxy}/`, { signal: AbortSignal.timeout(5_000) })
          .then((response) => response.text())
          .then(() => "complete", (error: Error) => error.name)
      )
      // not a timeout: the client learns at once that the answer broke off
      expect(failure).toBe("TypeError")
    }))
})
