/**
 * OTLP export configured the standard way: Signal runs as a real process and the OpenTelemetry
 * exporters read their own `OTEL_*` variables from its environment — each signal's endpoint,
 * headers, compression and protocol over the general ones — over HTTP (JSON and protobuf) and gRPC.
 */
import * as grpc from "@grpc/grpc-js"
import * as Tracing from "@signal/server/Tracing"
import { createDatabase } from "@signal/store/TestDatabase"
import { Effect } from "effect"
import { randomBytes } from "node:crypto"
import { createServer, type IncomingHttpHeaders } from "node:http"
import type { AddressInfo } from "node:net"
import { gunzipSync } from "node:zlib"
import { afterEach, describe, expect, it } from "vitest"
import { api, eventually, seedTenant } from "../support/http"
import { freePort } from "../support/postgres"
import { type SignalProcess, spawnSignal } from "../support/process"

const running: Array<SignalProcess> = []
const closers: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const signal of running.splice(0)) {
    signal.kill("SIGTERM")
    await signal.exited
  }
  for (const close of closers.splice(0)) await close()
})

/** A Signal process on a fresh database, with the given telemetry settings and nothing else of ours. */
const startSignal = async (otel: Record<string, string>) => {
  const env: Record<string, string> = {
    DATABASE_URL: await Effect.runPromise(createDatabase()),
    PORT: String(await freePort()),
    SIGNAL_RUNNER_PORT: String(await freePort()),
    OTEL_BSP_SCHEDULE_DELAY: "100",
    OTEL_METRIC_EXPORT_INTERVAL: "300",
    ...otel
  }
  const signal = await spawnSignal(env, { timeoutMs: 60_000 })
  running.push(signal)
  return signal
}

/** Publishes one event carrying a fresh trace id; answers that id. */
const publishTraced = async (url: string) => {
  const client = api(url)
  const { tenantId, senderId } = await seedTenant(client)
  const traceId = randomBytes(16).toString("hex")
  const published = await client.post(`/v1/tenants/${tenantId}/events`, {
    senderId,
    eventType: "order.created",
    payload: {}
  }, { traceparent: `00-${traceId}-${randomBytes(8).toString("hex")}-01` })
  expect(published.status).toBe(201)
  return traceId
}

interface Received {
  readonly path: string
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
}

const httpCollector = async () => {
  const received: Array<Received> = []
  const server = createServer((request, response) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => {
      const raw = Buffer.concat(chunks)
      const body = request.headers["content-encoding"] === "gzip" ? gunzipSync(raw) : raw
      received.push({ path: request.url ?? "", headers: request.headers, body })
      const protobuf = request.headers["content-type"] === "application/x-protobuf"
      response.writeHead(200, { "content-type": protobuf ? "application/x-protobuf" : "application/json" })
      response.end(protobuf ? Buffer.alloc(0) : "{}")
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return { port: (server.address() as AddressInfo).port, received }
}

describe("OTLP export from the SDK's own settings", () => {
  it("honours each signal's endpoint, protocol, headers and compression over HTTP", async () => {
    const collector = await httpCollector()
    const base = `http://127.0.0.1:${collector.port}`
    const signal = await startSignal({
      // a signal's endpoint is used verbatim; the general one would append /v1/<signal>
      OTEL_EXPORTER_OTLP_ENDPOINT: `${base}/general`,
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${base}/custom/traces`,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/protobuf",
      OTEL_EXPORTER_OTLP_HEADERS: "x-tenant=signal",
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: "x-collector-token=s%3Dcret",
      OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: "gzip",
      OTEL_SERVICE_NAME: "signal-otlp-test",
      OTEL_RESOURCE_ATTRIBUTES: "deployment.environment=otlp-test"
    })
    const traceId = await publishTraced(signal.url)

    const traces = await eventually(async () => {
      const found = collector.received.filter((r) => r.path === "/custom/traces" && r.body.includes(Buffer.from(traceId, "hex")))
      return found.length > 0 ? found : undefined
    }, { what: "spans of the event at the traces endpoint", timeoutMs: 30_000 })
    const [batch] = traces
    expect(batch!.headers["content-type"]).toBe("application/x-protobuf")
    expect(batch!.headers["content-encoding"]).toBe("gzip")
    expect(batch!.headers["x-collector-token"]).toBe("s=cret")
    // resource attributes travel as protobuf strings
    for (const value of ["signal-otlp-test", Tracing.SERVICE_VERSION, "otlp-test", "signal.role"]) {
      expect(batch!.body.includes(Buffer.from(value)), value).toBe(true)
    }

    const metrics = await eventually(async () =>
      collector.received.find((r) => r.path === "/general/v1/metrics" && r.body.includes(Buffer.from("signal_events_ingested_total"))), {
      what: "metrics at the general endpoint",
      timeoutMs: 30_000
    })
    expect(metrics.headers["content-type"]).toBe("application/json")
    expect(metrics.headers["x-tenant"]).toBe("signal")
    expect(metrics.headers["content-encoding"]).toBeUndefined()
    const resource = JSON.parse(metrics.body.toString("utf8")).resourceMetrics[0].resource.attributes as Array<
      { key: string; value: { stringValue?: string } }
    >
    expect(Object.fromEntries(resource.map((a) => [a.key, a.value.stringValue]))).toMatchObject({
      "service.name": "signal-otlp-test",
      "deployment.environment": "otlp-test",
      "signal.role": "all",
      "signal.runner.address": expect.stringMatching(/:\d+$/)
    })
    // nothing went to the paths a hand-built URL would have used
    expect(collector.received.filter((r) => r.path === "/general/v1/traces")).toEqual([])
  }, 120_000)

  it("exports traces and metrics over gRPC", async () => {
    const received: Array<{ method: string; body: Buffer; metadata: grpc.Metadata }> = []
    const server = new grpc.Server()
    const raw = (method: string) => ({
      path: method,
      requestStream: false,
      responseStream: false,
      requestSerialize: (b: Buffer) => b,
      requestDeserialize: (b: Buffer) => b,
      responseSerialize: (b: Buffer) => b,
      responseDeserialize: (b: Buffer) => b
    })
    const handler = (method: string): grpc.handleUnaryCall<Buffer, Buffer> => (call, callback) => {
      received.push({ method, body: call.request, metadata: call.metadata })
      // an empty Export…ServiceResponse
      callback(null, Buffer.alloc(0))
    }
    const traceMethod = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
    const metricsMethod = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export"
    server.addService({ Export: raw(traceMethod) }, { Export: handler(traceMethod) })
    server.addService({ Export: raw(metricsMethod) }, { Export: handler(metricsMethod) })
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound)))
    )
    closers.push(() => new Promise<void>((resolve) => server.tryShutdown(() => resolve())))

    const signal = await startSignal({
      OTEL_EXPORTER_OTLP_PROTOCOL: "grpc",
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      OTEL_EXPORTER_OTLP_HEADERS: "x-tenant=signal"
    })
    const traceId = await publishTraced(signal.url)

    const span = await eventually(async () =>
      received.find((r) => r.method === traceMethod && r.body.includes(Buffer.from(traceId, "hex"))), {
      what: "spans over gRPC",
      timeoutMs: 30_000
    })
    expect(span.metadata.get("x-tenant")).toEqual(["signal"])
    await eventually(async () =>
      received.find((r) => r.method === metricsMethod && r.body.includes(Buffer.from("signal_events_ingested_total"))), {
      what: "metrics over gRPC",
      timeoutMs: 30_000
    })
  }, 120_000)
})
