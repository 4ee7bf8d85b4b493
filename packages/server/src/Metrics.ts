import * as ClusterMetrics from "@effect/cluster/ClusterMetrics"
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpApp from "@effect/platform/HttpApp"
import * as HttpMiddleware from "@effect/platform/HttpMiddleware"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as DeliveryMetrics from "@signal/dispatcher/DeliveryMetrics"
import { eventsIngested } from "@signal/gateway/Ingest"
import { AnalyticsRepo } from "@signal/store/AnalyticsRepo"
import { Duration, Effect, Layer, Metric, MetricKey, MetricState, Option, Schedule } from "effect"
import { ProcessMetrics } from "./ProcessMetrics"
import { ServerConfig } from "./ServerConfig"

/**
 * Prometheus metrics. Delivery counters and the attempt histogram are updated where deliveries
 * happen (`DeliveryMetrics`), the ingest counter by the gateway; the gauges below are database-wide
 * (every process reports the same value, dashboards take the max) and refreshed here, with the
 * process's own (`ProcessMetrics`). Labels only ever take a handful of values: outcome, circuit
 * state, this runner, HTTP method and status code.
 */

export const intentsPending = Metric.gauge("signal_intents_pending", {
  description: "Delivery intents waiting for their first attempt, database-wide"
})

export const intentsRetrying = Metric.gauge("signal_intents_retrying", {
  description: "Delivery intents waiting for a retry, database-wide"
})

export const circuitState = Metric.gauge("signal_circuit_state", {
  description: "Active destinations per circuit breaker state, database-wide"
})

export const runnerShards = Metric.gauge("signal_runner_shards", {
  description: "Shards this dispatcher runner currently owns"
})

const httpRequestsKey = MetricKey.counter("http_server_requests_total", {
  description: "HTTP requests served, by method and status code",
  incremental: true
})

export const httpRequests = Metric.fromMetricKey(httpRequestsKey)

const knownMethods = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])

/** Counts every answered request, error answers included (they pass the pre-response handlers too). */
export const httpMetrics = HttpMiddleware.make((app) => {
  // One counter per method and status, its key tagged once: a `Metric.tagged` counter makes a new
  // metric key on every update.
  const counters = new Map<string, Metric.Metric.Counter<number>>()
  const counterFor = (method: string, status: number) => {
    const key = `${method} ${status}`
    let counter = counters.get(key)
    if (counter === undefined) {
      counter = Metric.fromMetricKey(
        httpRequestsKey.pipe(MetricKey.tagged("method", method), MetricKey.tagged("status", String(status)))
      )
      counters.set(key, counter)
    }
    return counter
  }
  return Effect.zipRight(
    HttpApp.appendPreResponseHandler((request, response) =>
      Effect.as(
        Metric.update(counterFor(knownMethods.has(request.method) ? request.method : "OTHER", response.status), 1),
        response
      )
    ),
    app
  )
})

/** Sets the database-wide gauges and this runner's shard count. */
export const refresh = Effect.gen(function*() {
  const config = yield* ServerConfig
  const analytics = yield* AnalyticsRepo
  if (config.role !== "gateway") {
    const shards = yield* Metric.value(ClusterMetrics.shards)
    yield* Metric.set(
      Metric.tagged(runnerShards, "runner", `${config.runnerHost}:${config.runnerPort}`),
      Number(shards.value)
    )
  }
  const depth = yield* analytics.queueDepth()
  yield* Metric.set(intentsPending, depth.pending)
  yield* Metric.set(intentsRetrying, depth.retrying)
  for (const { count, state } of yield* analytics.circuitStates()) {
    yield* Metric.set(Metric.tagged(circuitState, "state", state), count)
  }
}).pipe(Effect.withSpan("Metrics.refresh"))

/** Every series this process exports, present from the start (at zero) so rates and dashboards have them. */
const register = Effect.gen(function*() {
  const { role } = yield* ServerConfig
  if (role !== "dispatcher") yield* Metric.update(eventsIngested, 0)
  if (role !== "gateway") {
    for (const outcome of ["succeeded", "failed", "retrying"] as const) {
      yield* Metric.update(Metric.tagged(DeliveryMetrics.deliveries, "outcome", outcome), 0)
    }
    yield* Metric.value(DeliveryMetrics.attemptDuration)
  }
})

const REFRESH_EVERY = Duration.seconds(15)

/** Registers the series and keeps the gauges fresh for OTLP export between scrapes. */
export const layer = Layer.scopedDiscard(Effect.gen(function*() {
  yield* register
  const processMetrics = yield* ProcessMetrics
  yield* processMetrics.sample.pipe(
    Effect.zipRight(refresh.pipe(Effect.catchAllCause((cause) => Effect.logDebug("metrics refresh failed", cause)))),
    Effect.repeat(Schedule.spaced(REFRESH_EVERY)),
    Effect.forkScoped
  )
})).pipe(Layer.provide(AnalyticsRepo.Default))

// ---------------------------------------------------------------------------------------------
// Prometheus text exposition format 0.0.4

const escapeLabel = (value: string) => value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, "\\\"")
const escapeHelp = (value: string) => value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")
const metricName = (name: string) => name.replace(/[^a-zA-Z0-9_:]/g, "_").replace(/^([0-9])/, "_$1")
const labelName = (name: string) => name.replace(/[^a-zA-Z0-9_]/g, "_").replace(/^([0-9])/, "_$1")

const formatValue = (value: number | bigint) =>
  typeof value === "bigint"
    ? value.toString()
    : Number.isNaN(value)
    ? "NaN"
    : value === Infinity
    ? "+Inf"
    : value === -Infinity
    ? "-Inf"
    : String(value)

const labels = (tags: ReadonlyArray<{ readonly key: string; readonly value: string }>) =>
  tags.length === 0 ? "" : `{${tags.map((tag) => `${labelName(tag.key)}="${escapeLabel(tag.value)}"`).join(",")}}`

interface Family {
  readonly type: "counter" | "gauge" | "histogram" | "summary"
  readonly help: string
  readonly lines: Array<string>
}

/** Renders Effect's metric registry (every metric of this process) as Prometheus text. */
export const renderPrometheus = (
  pairs: ReadonlyArray<{ readonly metricKey: MetricKey.MetricKey.Untyped; readonly metricState: MetricState.MetricState.Untyped }>
): string => {
  const families = new Map<string, Family>()
  const family = (key: MetricKey.MetricKey.Untyped, type: Family["type"]) => {
    const name = metricName(key.name)
    let found = families.get(name)
    if (found === undefined) {
      found = { type, help: Option.getOrElse(key.description, () => key.name), lines: [] }
      families.set(name, found)
    }
    return { name, lines: found.type === type ? found.lines : [] }
  }
  for (const { metricKey: key, metricState: state } of pairs) {
    const tags = key.tags
    if (MetricState.isCounterState(state)) {
      const { lines, name } = family(key, "counter")
      lines.push(`${name}${labels(tags)} ${formatValue(state.count)}`)
    } else if (MetricState.isGaugeState(state)) {
      const { lines, name } = family(key, "gauge")
      lines.push(`${name}${labels(tags)} ${formatValue(state.value)}`)
    } else if (MetricState.isHistogramState(state)) {
      const { lines, name } = family(key, "histogram")
      for (const [bound, count] of state.buckets) {
        lines.push(`${name}_bucket${labels([...tags, { key: "le", value: formatValue(bound) }])} ${count}`)
      }
      lines.push(`${name}_sum${labels(tags)} ${formatValue(state.sum)}`)
      lines.push(`${name}_count${labels(tags)} ${state.count}`)
    } else if (MetricState.isSummaryState(state)) {
      const { lines, name } = family(key, "summary")
      for (const [quantile, value] of state.quantiles) {
        lines.push(
          `${name}${labels([...tags, { key: "quantile", value: String(quantile) }])} ${
            formatValue(Option.getOrElse(value, () => NaN))
          }`
        )
      }
      lines.push(`${name}_sum${labels(tags)} ${formatValue(state.sum)}`)
      lines.push(`${name}_count${labels(tags)} ${state.count}`)
    }
    // Frequencies have one series per distinct value: unbounded, so never exported.
  }
  let text = ""
  for (const [name, { help, lines, type }] of [...families].sort(([a], [b]) => a.localeCompare(b))) {
    if (lines.length === 0) continue
    text += `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n${lines.join("\n")}\n`
  }
  return text
}

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

/** `GET /metrics`: gauges refreshed on the spot (a slow database never holds the scrape for long). */
export const makeHandler = Effect.gen(function*() {
  const context = yield* Effect.context<AnalyticsRepo | ServerConfig>()
  const processMetrics = yield* ProcessMetrics
  return Effect.gen(function*() {
    yield* processMetrics.sample
    yield* refresh.pipe(
      Effect.timeout("2 seconds"),
      Effect.catchAllCause((cause) => Effect.logDebug("metrics refresh failed", cause)),
      Effect.provide(context)
    )
    const text = renderPrometheus(yield* Metric.snapshot)
    return HttpServerResponse.text(text, { contentType: PROMETHEUS_CONTENT_TYPE })
  })
}).pipe(Effect.provide(AnalyticsRepo.Default))

/** `/metrics` next to the HTTP API (not part of the contract: it is for Prometheus, not for clients). */
export const route = HttpApiBuilder.Router.use((router) =>
  Effect.flatMap(makeHandler, (handler) => router.get("/metrics", handler))
)
