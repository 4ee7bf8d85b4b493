import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import { OTLPMetricExporter as JsonMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http"
import { OTLPMetricExporter as ProtobufMetricExporter } from "@opentelemetry/exporter-metrics-otlp-proto"
import { OTLPTraceExporter as JsonTraceExporter } from "@opentelemetry/exporter-trace-otlp-http"
import { OTLPTraceExporter as ProtobufTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto"
import { PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics"
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  type Sampler,
  TraceIdRatioBasedSampler
} from "@opentelemetry/sdk-trace-base"
import { Config, ConfigError, Effect, Either, Layer, Option, Redacted } from "effect"
import { randomUUID } from "node:crypto"
import { ServerConfig } from "./ServerConfig"

/** Reported as `service.version`. */
export const SERVICE_VERSION = "0.1.0"

const samplers = [
  "always_on",
  "always_off",
  "traceidratio",
  "parentbased_always_on",
  "parentbased_always_off",
  "parentbased_traceidratio"
] as const

/** `OTEL_TRACES_SAMPLER` (+ `OTEL_TRACES_SAMPLER_ARG` for the ratio samplers), as the specification names them. */
const sampler = Effect.gen(function*() {
  const name = yield* Config.literal(...samplers)("OTEL_TRACES_SAMPLER").pipe(
    Config.withDefault("parentbased_always_on" as const)
  )
  const ratio = yield* Config.number("OTEL_TRACES_SAMPLER_ARG").pipe(
    Config.withDefault(1),
    Config.validate({ message: "expected a ratio between 0 and 1", validation: (n) => n >= 0 && n <= 1 })
  )
  const root: Sampler = name.endsWith("always_on")
    ? new AlwaysOnSampler()
    : name.endsWith("always_off")
    ? new AlwaysOffSampler()
    : new TraceIdRatioBasedSampler(ratio)
  return name.startsWith("parentbased_") ? new ParentBasedSampler({ root }) : root
})

/** `OTEL_EXPORTER_OTLP_HEADERS`: `key=value` pairs, comma separated, values URL-encoded. */
const headers = Config.redacted("OTEL_EXPORTER_OTLP_HEADERS").pipe(
  Config.withDefault(Redacted.make("")),
  Config.mapOrFail((raw) => {
    const result: Record<string, string> = {}
    for (const pair of Redacted.value(raw).split(",")) {
      if (pair.trim() === "") continue
      const at = pair.indexOf("=")
      if (at <= 0) {
        return Either.left(ConfigError.InvalidData(["OTEL_EXPORTER_OTLP_HEADERS"], "expected key=value pairs"))
      }
      try {
        result[pair.slice(0, at).trim()] = decodeURIComponent(pair.slice(at + 1).trim())
      } catch {
        return Either.left(ConfigError.InvalidData(["OTEL_EXPORTER_OTLP_HEADERS"], "a value is not URL-encoded"))
      }
    }
    return Either.right(result)
  })
)

/** A signal's endpoint: its own variable verbatim, else the base endpoint plus `/v1/<signal>`. */
const endpointFor = (signal: "traces" | "metrics", base: Option.Option<string>) =>
  Config.string(`OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_ENDPOINT`).pipe(
    Config.option,
    Config.map((own) =>
      Option.orElse(own, () => Option.map(base, (url) => `${url.replace(/\/+$/, "")}/v1/${signal}`))
    )
  )

const exporterChoice = (name: string) =>
  Config.literal("otlp", "none")(name).pipe(Config.withDefault("otlp" as const))

/**
 * OpenTelemetry export over OTLP/HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT` (or a per-signal endpoint)
 * is set, nothing otherwise. Honours `OTEL_SDK_DISABLED`, `OTEL_SERVICE_NAME` (default `signal`),
 * `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_EXPORTER_OTLP_PROTOCOL` (`http/protobuf`, the default, or
 * `http/json`), `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_EXPORTER_OTLP_TIMEOUT`,
 * `OTEL_TRACES_SAMPLER`(`_ARG`), `OTEL_BSP_*`, `OTEL_METRIC_EXPORT_INTERVAL` and
 * `OTEL_TRACES_EXPORTER`/`OTEL_METRICS_EXPORTER=none`. Spans carry the process's role and runner.
 */
export const layer = Layer.unwrapEffect(Effect.gen(function*() {
  const disabled = yield* Config.boolean("OTEL_SDK_DISABLED").pipe(Config.withDefault(false))
  const base = yield* Config.option(Config.string("OTEL_EXPORTER_OTLP_ENDPOINT"))
  const tracesUrl = (yield* exporterChoice("OTEL_TRACES_EXPORTER")) === "none"
    ? Option.none<string>()
    : yield* endpointFor("traces", base)
  const metricsUrl = (yield* exporterChoice("OTEL_METRICS_EXPORTER")) === "none"
    ? Option.none<string>()
    : yield* endpointFor("metrics", base)
  if (disabled || (Option.isNone(tracesUrl) && Option.isNone(metricsUrl))) return Layer.empty

  const server = yield* ServerConfig
  const protocol = yield* Config.literal("http/protobuf", "http/json")("OTEL_EXPORTER_OTLP_PROTOCOL").pipe(
    Config.withDefault("http/protobuf" as const)
  )
  const exporterConfig = {
    headers: yield* headers,
    timeoutMillis: yield* Config.integer("OTEL_EXPORTER_OTLP_TIMEOUT").pipe(Config.withDefault(10_000))
  }
  const batch = {
    scheduledDelayMillis: yield* Config.integer("OTEL_BSP_SCHEDULE_DELAY").pipe(Config.withDefault(5_000)),
    exportTimeoutMillis: yield* Config.integer("OTEL_BSP_EXPORT_TIMEOUT").pipe(Config.withDefault(30_000)),
    maxQueueSize: yield* Config.integer("OTEL_BSP_MAX_QUEUE_SIZE").pipe(Config.withDefault(2_048)),
    maxExportBatchSize: yield* Config.integer("OTEL_BSP_MAX_EXPORT_BATCH_SIZE").pipe(Config.withDefault(512))
  }
  const metricInterval = yield* Config.integer("OTEL_METRIC_EXPORT_INTERVAL").pipe(Config.withDefault(60_000))
  const traceSampler = yield* sampler
  const serviceName = yield* Config.string("OTEL_SERVICE_NAME").pipe(Config.withDefault("signal"))

  yield* Effect.logInfo("exporting telemetry over OTLP").pipe(
    Effect.annotateLogs({
      protocol,
      traces: Option.getOrElse(tracesUrl, () => "off"),
      metrics: Option.getOrElse(metricsUrl, () => "off")
    })
  )

  return NodeSdk.layer(() => ({
    resource: {
      serviceName,
      serviceVersion: SERVICE_VERSION,
      attributes: {
        "service.instance.id": randomUUID(),
        "signal.role": server.role,
        ...(server.role === "gateway" ? {} : { "signal.runner.address": `${server.runnerHost}:${server.runnerPort}` })
      }
    },
    tracerConfig: { sampler: traceSampler },
    spanProcessor: Option.match(tracesUrl, {
      onNone: () => undefined,
      onSome: (url) => {
        const config = { ...exporterConfig, url }
        return new BatchSpanProcessor(
          protocol === "http/json" ? new JsonTraceExporter(config) : new ProtobufTraceExporter(config),
          batch
        )
      }
    }),
    metricReader: Option.match(metricsUrl, {
      onNone: () => undefined,
      onSome: (url) => {
        const config = { ...exporterConfig, url }
        return new PeriodicExportingMetricReader({
          exporter: protocol === "http/json" ? new JsonMetricExporter(config) : new ProtobufMetricExporter(config),
          exportIntervalMillis: metricInterval,
          exportTimeoutMillis: Math.min(exporterConfig.timeoutMillis, metricInterval)
        })
      }
    })
  }))
}))
