/**
 * One trace per event, across retries and a restart: the producer's traceparent is continued by the
 * ingest span, every attempt (made by whichever server process) is a child of the event's
 * `Ingest.publish` span (no span per intent at ingest), each attempt holds the HTTP client span whose
 * context the receiver gets as `traceparent`.
 */
import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { tracedJsonLogger } from "@signal/server/Logging"
import { ServerConfig } from "@signal/server/ServerConfig"
import { startTestServer, type RunningServer } from "@signal/server/TestServer"
import * as Tracing from "@signal/server/Tracing"
import { ConfigProvider, Effect, Layer, Logger, Tracer } from "effect"
import { randomBytes } from "node:crypto"
import { afterAll, describe, expect, it, vi } from "vitest"
import { deliveryHelpers } from "../delivery/shared"
import { api, eventually, seedTenant } from "../support/http"
import { type Receiver, startReceiver } from "../support/receiver"

/** Keeps its spans when the server that exported them stops (the stock exporter clears them). */
class KeptSpans extends InMemorySpanExporter {
  override shutdown() {
    return Promise.resolve()
  }
}

const tracingTo = (exporter: InMemorySpanExporter) =>
  NodeSdk.layer(() => ({
    resource: { serviceName: "signal-test" },
    spanProcessor: new SimpleSpanProcessor(exporter)
  }))

const SPAN_KIND_SERVER = 1
const SPAN_KIND_CLIENT = 2

const servers: Array<RunningServer> = []
let receiver: Receiver | undefined
afterAll(async () => {
  await receiver?.close()
  for (const server of servers) await server.stop().catch(() => undefined)
})

describe("tracing", () => {
  it("keeps an event's ingest, retries and post-restart attempt in the producer's trace", async () => {
    const before = new KeptSpans()
    const after = new KeptSpans()
    const first = await startTestServer({ tracing: tracingTo(before), env: { SIGNAL_SWEEP_INTERVAL_MS: "300" } })
    servers.push(first)
    const client = api(first.url)
    const { createDestination, attemptsOf } = deliveryHelpers(client)
    receiver = await startReceiver((_request, index, response) => {
      response.writeHead(index < 2 ? 503 : 200)
      response.end(index < 2 ? "busy" : "ok")
    })
    const { tenantId, senderId } = await seedTenant(client)
    const destination = await createDestination(tenantId, receiver.url, {
      retry: { type: "linear", delaySeconds: 1, maxAttempts: 5 },
      headers: { "X-Receiver-Token": "token-that-must-not-leak" }
    })

    const traceId = randomBytes(16).toString("hex")
    const producerSpanId = randomBytes(8).toString("hex")
    const published = await client.post(`/v1/tenants/${tenantId}/events`, {
      senderId,
      eventType: "payment.created",
      payload: { amount: 1000 }
    }, { traceparent: `00-${traceId}-${producerSpanId}-01` })
    expect(published.status).toBe(201)
    const eventId: string = published.body.id

    // Two failed attempts on the first server; the third is due 2 s (±20 %) after the second.
    await eventually(async () => ((await attemptsOf(tenantId, eventId)).length === 2 ? true : undefined), {
      what: "two recorded attempts",
      intervalMs: 25
    })
    await first.stop()
    expect(receiver.requests).toHaveLength(2)

    const second = await startTestServer({
      databaseUrl: first.databaseUrl,
      tracing: tracingTo(after),
      env: { SIGNAL_SWEEP_INTERVAL_MS: "300" }
    })
    servers.push(second)
    const intent = await deliveryHelpers(api(second.url)).settled(tenantId, eventId)
    expect(intent).toMatchObject({ status: "succeeded", attemptCount: 3 })
    expect(receiver.requests).toHaveLength(3)
    await second.stop()

    const spans = [...before.getFinishedSpans(), ...after.getFinishedSpans()]
    const byId = new Map(spans.map((span) => [span.spanContext().spanId, span]))
    const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId
    const ancestors = (span: ReadableSpan) => {
      const chain: Array<string> = []
      for (let id = parentOf(span); id !== undefined; id = byId.get(id) && parentOf(byId.get(id)!)) chain.push(id)
      return chain
    }
    const named = (name: string, from = spans) => from.filter((span) => span.name === name)

    // ingest: the server span continues the producer's context, Ingest.publish is inside it
    const ingestRequest = spans.find((span) =>
      span.kind === SPAN_KIND_SERVER && span.attributes["url.path"] === `/v1/tenants/${tenantId}/events`
    )!
    expect(ingestRequest).toBeDefined()
    expect(ingestRequest.spanContext().traceId).toBe(traceId)
    expect(parentOf(ingestRequest)).toBe(producerSpanId)
    const [ingest] = named("Ingest.publish").filter((span) => span.spanContext().traceId === traceId)
    expect(ancestors(ingest)).toContain(ingestRequest.spanContext().spanId)

    // no span per intent at ingest: a publish's spans do not grow with its fan-out
    expect(named("Delivery")).toEqual([])

    // three attempts, children of the publish's span, in the producer's trace; the last one after the restart
    const attemptsBefore = named("Delivery.attempt", before.getFinishedSpans())
    const attemptsAfter = named("Delivery.attempt", after.getFinishedSpans())
    expect(attemptsBefore.map((span) => span.attributes["signal.attempt_number"])).toEqual([1, 2])
    expect(attemptsAfter.map((span) => span.attributes["signal.attempt_number"])).toEqual([3])
    const attempts = [...attemptsBefore, ...attemptsAfter]
    for (const attempt of attempts) {
      expect(attempt.spanContext().traceId).toBe(traceId)
      expect(parentOf(attempt)).toBe(ingest.spanContext().spanId)
      expect(attempt.attributes).toMatchObject({
        "signal.event_id": eventId,
        "signal.event_type": "payment.created",
        "signal.destination_id": destination.id,
        "signal.intent_id": intent.id
      })
    }
    expect(attempts.map((span) => [
      span.attributes["http.response.status_code"],
      span.attributes["signal.error_code"],
      span.attributes["signal.outcome"]
    ])).toEqual([
      [503, "http_status", "retrying"],
      [503, "http_status", "retrying"],
      [200, undefined, "succeeded"]
    ])

    // an HTTP client span inside each attempt; the receiver got its context as traceparent
    const clientSpans = spans.filter((span) =>
      span.kind === SPAN_KIND_CLIENT && span.name.startsWith("http.client") && span.spanContext().traceId === traceId
    )
    expect(clientSpans).toHaveLength(3)
    attempts.forEach((attempt, n) => {
      const inside = clientSpans.filter((span) => ancestors(span).includes(attempt.spanContext().spanId))
      expect(inside).toHaveLength(1)
      expect(inside[0].attributes["http.response.status_code"]).toBe(n < 2 ? 503 : 200)
      expect(receiver!.requests[n].headers.traceparent).toBe(`00-${traceId}-${inside[0].spanContext().spanId}-01`)
    })

    // no secret in any span: not the signing secret, not a signature, not a custom header's value
    const received = receiver.requests[2].headers
    const secrets = [
      destination.webhook.signingSecret,
      String(received["x-signal-signature"]),
      String(received["webhook-signature"]),
      "token-that-must-not-leak"
    ]
    for (const span of spans) {
      const text = JSON.stringify(span.attributes)
      for (const secret of secrets) expect(text).not.toContain(secret)
    }
    expect(clientSpans[0].attributes["http.request.header.x-signal-signature"]).toBe("<redacted>")
    expect(clientSpans[0].attributes["http.request.header.webhook-id"]).toBe(intent.id)
  }, 30_000)

  it("writes JSON log lines that carry the trace and span ids of the current span", () => {
    const lines: Array<string> = []
    const spy = vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line))
    try {
      const span = Effect.runSync(
        Effect.logWarning("attempt failed").pipe(
          Effect.annotateLogs("destinationId", "dst_1"),
          Effect.zipRight(Effect.currentSpan),
          Effect.withSpan("Delivery.attempt"),
          Effect.provide(Logger.replace(Logger.defaultLogger, tracedJsonLogger))
        )
      )
      expect(lines).toHaveLength(1)
      expect(JSON.parse(lines[0])).toMatchObject({
        message: "attempt failed",
        logLevel: "WARN",
        annotations: { destinationId: "dst_1" },
        traceId: span.traceId,
        spanId: span.spanId
      })
    } finally {
      spy.mockRestore()
    }
  })
  it("without an OTLP endpoint, a publish continues the producer's W3C or B3 trace to the receiver", async () => {
    const server = await startTestServer()
    servers.push(server)
    const client = api(server.url)
    const { createDestination, settled } = deliveryHelpers(client)
    const hooks = await startReceiver()
    try {
      const { tenantId, senderId } = await seedTenant(client)
      await createDestination(tenantId, hooks.url)
      const publish = async (headers: Record<string, string>) => {
        const published = await client.post(`/v1/tenants/${tenantId}/events`, {
          senderId,
          eventType: "payment.created",
          payload: { amount: 1 }
        }, headers)
        expect(published.status).toBe(201)
        await settled(tenantId, published.body.id)
        const received = hooks.requests.find((request) => request.body.includes(published.body.id))
        const traceparent = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(String(received?.headers.traceparent))
        expect(traceparent).not.toBeNull()
        return { traceId: traceparent![1], spanId: traceparent![2] }
      }
      const w3cTrace = randomBytes(16).toString("hex")
      const w3cSpan = randomBytes(8).toString("hex")
      const fromW3c = await publish({ traceparent: `00-${w3cTrace}-${w3cSpan}-01` })
      expect(fromW3c.traceId).toBe(w3cTrace)
      expect(fromW3c.spanId).not.toBe(w3cSpan)

      const b3Trace = randomBytes(16).toString("hex")
      expect((await publish({ b3: `${b3Trace}-${randomBytes(8).toString("hex")}-1` })).traceId).toBe(b3Trace)

      // without a producer's context, each publish starts a trace of its own
      const [first, second] = [await publish({}), await publish({})]
      expect(first.traceId).not.toBe(second.traceId)
      expect([w3cTrace, b3Trace]).not.toContain(first.traceId)
    } finally {
      await hooks.close()
      await server.stop()
    }
  }, 30_000)

  it("without an OTLP endpoint, spans carry only their trace context, and a tracer installed around the server stays", async () => {
    const serverConfig = Layer.succeed(ServerConfig, {
      role: "all",
      host: "127.0.0.1",
      port: 1,
      runnerHost: "127.0.0.1",
      runnerPort: 2,
      migrate: true
    })
    const noEndpoint = ConfigProvider.fromMap(new Map([["OTEL_SERVICE_NAME", "x"]]))
    const effectTracer = Effect.runSync(Effect.tracer)
    const { child, parent, tracer } = await Effect.runPromise(
      Effect.gen(function*() {
        const parent = yield* Effect.currentSpan
        yield* Effect.annotateCurrentSpan("signal.event_id", "evt_1")
        const child = yield* Effect.currentSpan.pipe(Effect.withSpan("Delivery.attempt"))
        return { child, parent, tracer: yield* Effect.tracer }
      }).pipe(
        Effect.withSpan("Ingest.publish"),
        Effect.provide(Tracing.layer),
        Effect.provide(serverConfig),
        Effect.withConfigProvider(noEndpoint)
      )
    )
    expect(tracer).not.toBe(effectTracer)
    expect(parent.traceId).toMatch(/^[0-9a-f]{32}$/)
    expect(parent.spanId).toMatch(/^[0-9a-f]{16}$/)
    expect(child.traceId).toBe(parent.traceId)
    expect(child.spanId).toMatch(/^[0-9a-f]{16}$/)
    expect(child.spanId).not.toBe(parent.spanId)
    expect(parent.attributes.size).toBe(0)

    const installed = Tracer.make({ span: effectTracer.span, context: effectTracer.context })
    const kept = await Effect.runPromise(
      Effect.tracer.pipe(
        Effect.provide(Tracing.layer),
        Effect.provide(serverConfig),
        Effect.withConfigProvider(noEndpoint),
        Effect.withTracer(installed)
      )
    )
    expect(kept).toBe(installed)
  })
})
