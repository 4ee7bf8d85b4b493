/** `signal analytics`: delivery figures of the tenant, or of one of its destinations. */
import * as Command from "@effect/cli/Command"
import { SignalJsonClient } from "@signal/client/SignalJsonClient"
import type { DeliveryAnalytics } from "@signal/client/Types"
import { Effect, Option } from "effect"
import * as Flags from "./Flags"
import { output, renderDetails, text, time } from "./Output"
import { globalOptions, requireTenant, withSettings } from "./Settings"

const percent = (rate: number | null) => (rate === null ? text(rate) : `${(rate * 100).toFixed(1)}%`)
const ms = (value: number | null) => (value === null ? text(value) : `${Math.round(value)} ms`)
const ratio = (value: number | null) => (value === null ? text(value) : value.toFixed(2))

/** The figures under the labels people read; `--json` keeps the API's field names instead. */
export const summary = (a: DeliveryAnalytics): string =>
  renderDetails({
    tenant: a.tenantId,
    ...(a.destinationId === null ? {} : { destination: a.destinationId }),
    window: `${time(a.from)} → ${time(a.to)}`,
    events: String(a.events),
    deliveries: String(a.deliveries),
    succeeded: String(a.succeeded),
    failed: String(a.failed),
    "in progress": String(a.inProgress),
    "success rate": percent(a.successRate),
    attempts: String(a.attempts),
    "attempts per delivery": ratio(a.attemptsPerDelivery),
    "latency p50": ms(a.latencyMs.p50),
    "latency p95": ms(a.latencyMs.p95),
    // the queue is what waits now, whatever the window
    "queue pending": String(a.queue.pending),
    "queue retrying": String(a.queue.retrying),
    "queue depth": String(a.queue.depth)
  })

export const analytics = Command.make(
  "analytics",
  {
    ...globalOptions,
    destination: Flags.optionalText("destination", "Only this destination (dst_…); default the whole tenant"),
    from: Flags.optionalText("from", "Start of the window, ISO time (default 24 hours before --to)"),
    to: Flags.optionalText("to", "End of the window, ISO time (default now)")
  },
  (flags) =>
    Effect.gen(function*() {
      const api = yield* SignalJsonClient
      const tenantId = yield* requireTenant
      const window = { tenantId, from: Option.getOrUndefined(flags.from), to: Option.getOrUndefined(flags.to) }
      const figures = yield* Option.match(flags.destination, {
        onNone: () => api.analytics.tenant(window),
        onSome: (eventDestinationId) => api.analytics.destination({ ...window, eventDestinationId })
      })
      yield* output(figures, summary)
    }).pipe(withSettings(flags))
).pipe(
  Command.withDescription(
    "Delivery figures for a time window: success rate, attempts, latency p50/p95 and the queue now"
  )
)
