import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import { PeriodicExportingMetricReader, type PushMetricExporter } from "@opentelemetry/sdk-metrics"
import { BatchSpanProcessor, type SpanExporter } from "@opentelemetry/sdk-trace-base"
import { Config, Effect, Layer, Option } from "effect"
import { randomUUID } from "node:crypto"
import * as PropagationOnlyTracer from "./PropagationOnlyTracer"
import { ServerConfig } from "./ServerConfig"

/** Reported as `service.version`. */
export const SERVICE_VERSION = "0.1.0"

type Signal = "traces" | "metrics"

const protocols = ["grpc", "http/protobuf", "http/json"] as const
type Protocol = typeof protocols[number]

/**
 * Whether a signal is exported, and over which protocol. Only these choices are Signal's (as the
 * SDK's own NodeSDK makes them): everything else — endpoint, headers, compression, timeout,
 * certificates, `OTEL_BSP_*`, the sampler — the exporters, the span processor and the tracer
 * provider read from the process environment themselves, with each signal's own variant
 * (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, `…_METRICS_HEADERS`, …) over the general one.
 */
const signalExport = (signal: Signal) =>
  Effect.gen(function*() {
    const upper = signal.toUpperCase()
    const exporter = yield* Config.literal("otlp", "none")(`OTEL_${upper}_EXPORTER`).pipe(Config.withDefault("otlp" as const))
    // Export only when an endpoint is configured: the SDK's default (localhost) is no default for a server.
    const endpoint = yield* Config.option(Config.string(`OTEL_EXPORTER_OTLP_${upper}_ENDPOINT`))
    const base = yield* Config.option(Config.string("OTEL_EXPORTER_OTLP_ENDPOINT"))
    if (exporter === "none" || (Option.isNone(endpoint) && Option.isNone(base))) return Option.none<Protocol>()
    const general = yield* Config.literal(...protocols)("OTEL_EXPORTER_OTLP_PROTOCOL").pipe(
      Config.withDefault("http/protobuf" as const)
    )
    return Option.some(
      yield* Config.literal(...protocols)(`OTEL_EXPORTER_OTLP_${upper}_PROTOCOL`).pipe(Config.withDefault(general))
    )
  })

/** Each protocol's exporter packages, loaded only when used (gRPC pulls in @grpc/grpc-js). */
const exporters: Record<Protocol, {
  readonly traces: () => Promise<SpanExporter>
  readonly metrics: () => Promise<PushMetricExporter>
}> = {
  "grpc": {
    traces: () => import("@opentelemetry/exporter-trace-otlp-grpc").then((m) => new m.OTLPTraceExporter()),
    metrics: () => import("@opentelemetry/exporter-metrics-otlp-grpc").then((m) => new m.OTLPMetricExporter())
  },
  "http/protobuf": {
    traces: () => import("@opentelemetry/exporter-trace-otlp-proto").then((m) => new m.OTLPTraceExporter()),
    metrics: () => import("@opentelemetry/exporter-metrics-otlp-proto").then((m) => new m.OTLPMetricExporter())
  },
  "http/json": {
    traces: () => import("@opentelemetry/exporter-trace-otlp-http").then((m) => new m.OTLPTraceExporter()),
    metrics: () => import("@opentelemetry/exporter-metrics-otlp-http").then((m) => new m.OTLPMetricExporter())
  }
}

/**
 * OpenTelemetry export over OTLP (gRPC, HTTP/protobuf or HTTP/JSON) configured the standard way:
 * on when `OTEL_EXPORTER_OTLP_ENDPOINT` or a signal's own endpoint is set, off otherwise or with
 * `OTEL_SDK_DISABLED=true` / `OTEL_TRACES_EXPORTER=none` / `OTEL_METRICS_EXPORTER=none`. The
 * periodic metric reader takes `OTEL_METRIC_EXPORT_INTERVAL` and `OTEL_METRIC_EXPORT_TIMEOUT`
 * (read here, as the SDK's NodeSDK does); the resource is `OTEL_SERVICE_NAME` (default `signal`)
 * and `OTEL_RESOURCE_ATTRIBUTES`, plus the process's role and runner address. Without trace export,
 * spans only carry the trace context on (`PropagationOnlyTracer`).
 */
export const layer = Layer.unwrapEffect(Effect.gen(function*() {
  const disabled = yield* Config.boolean("OTEL_SDK_DISABLED").pipe(Config.withDefault(false))
  const traces = yield* signalExport("traces")
  const metrics = yield* signalExport("metrics")
  if (disabled || (Option.isNone(traces) && Option.isNone(metrics))) return PropagationOnlyTracer.layer

  const server = yield* ServerConfig
  const metricInterval = yield* Config.integer("OTEL_METRIC_EXPORT_INTERVAL").pipe(Config.withDefault(60_000))
  const metricTimeout = yield* Config.integer("OTEL_METRIC_EXPORT_TIMEOUT").pipe(Config.withDefault(30_000))
  const serviceName = yield* Config.string("OTEL_SERVICE_NAME").pipe(Config.withDefault("signal"))

  const spanProcessor = yield* Option.match(traces, {
    onNone: () => Effect.succeed(undefined),
    // BatchSpanProcessor reads OTEL_BSP_* when given no settings
    onSome: (protocol) => Effect.promise(exporters[protocol].traces).pipe(Effect.map((e) => new BatchSpanProcessor(e)))
  })
  const metricReader = yield* Option.match(metrics, {
    onNone: () => Effect.succeed(undefined),
    onSome: (protocol) =>
      Effect.promise(exporters[protocol].metrics).pipe(
        Effect.map((exporter) =>
          new PeriodicExportingMetricReader({
            exporter,
            exportIntervalMillis: metricInterval,
            exportTimeoutMillis: Math.min(metricTimeout, metricInterval)
          })
        )
      )
  })

  yield* Effect.logInfo("exporting telemetry over OTLP").pipe(
    Effect.annotateLogs({
      traces: Option.getOrElse(traces, () => "off"),
      metrics: Option.getOrElse(metrics, () => "off")
    })
  )

  const sdk = NodeSdk.layer(() => ({
    resource: {
      serviceName,
      serviceVersion: SERVICE_VERSION,
      attributes: {
        "service.instance.id": randomUUID(),
        "signal.role": server.role,
        ...(server.role === "gateway" ? {} : { "signal.runner.address": `${server.runnerHost}:${server.runnerPort}` })
      }
    },
    // No sampler here: the tracer provider builds it from OTEL_TRACES_SAMPLER(_ARG), default parentbased_always_on.
    spanProcessor,
    metricReader
  }))
  return Option.isNone(traces) ? Layer.merge(sdk, PropagationOnlyTracer.layer) : sdk
}))
