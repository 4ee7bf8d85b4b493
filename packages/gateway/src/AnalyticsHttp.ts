import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import type { AnalyticsParams } from "@signal/domain/Analytics"
import { DeliveryAnalytics } from "@signal/domain/Analytics"
import { BadRequest } from "@signal/domain/ApiError"
import type { DestinationId, TenantId } from "@signal/domain/Ids"
import { SignalApi } from "@signal/domain/SignalApi"
import { AnalyticsRepo } from "@signal/store/AnalyticsRepo"
import { DestinationRepo } from "@signal/store/DestinationRepo"
import { DateTime, Duration, Effect } from "effect"
import { atStoreBoundary } from "./StoreBoundary"
import { orNotFound, TenantGuard } from "./TenantGuard"

const DEFAULT_WINDOW = Duration.hours(24)

/** `[from, to)`: `to` defaults to now, `from` to 24 hours before `to`; an empty or inverted window is a 400. */
const windowOf = (params: AnalyticsParams) =>
  Effect.gen(function*() {
    const to = params.to ?? (yield* DateTime.now)
    const from = params.from ?? DateTime.subtractDuration(to, DEFAULT_WINDOW)
    if (!DateTime.lessThan(from, to)) {
      return yield* Effect.fail(
        new BadRequest({ code: "invalid_window", message: "`from` must be earlier than `to`" })
      )
    }
    return { from, to }
  })

const ratio = (numerator: number, denominator: number) => denominator === 0 ? null : numerator / denominator

export const AnalyticsHttp = HttpApiBuilder.group(SignalApi, "analytics", (handlers) =>
  Effect.gen(function*() {
    const guard = yield* atStoreBoundary(TenantGuard)
    const analytics = yield* atStoreBoundary(AnalyticsRepo)
    const destinations = yield* atStoreBoundary(DestinationRepo)

    const report = Effect.fn("Analytics.report")(
      function*(tenantId: TenantId, destinationId: DestinationId | null, params: AnalyticsParams) {
        const { from, to } = yield* windowOf(params)
        const figures = yield* analytics.figures({
          tenantId,
          destinationId,
          from: DateTime.toDate(from),
          to: DateTime.toDate(to)
        })
        return DeliveryAnalytics.make({
          tenantId,
          destinationId,
          from,
          to,
          events: figures.events,
          deliveries: figures.deliveries,
          succeeded: figures.succeeded,
          failed: figures.failed,
          inProgress: figures.inProgress,
          successRate: ratio(figures.succeeded, figures.succeeded + figures.failed),
          attempts: figures.attempts,
          attemptsPerDelivery: ratio(figures.attempts, figures.attempted),
          latencyMs: { p50: figures.p50Ms, p95: figures.p95Ms },
          queue: { pending: figures.pending, retrying: figures.retrying, depth: figures.pending + figures.retrying }
        })
      }
    )

    return handlers
      .handle("tenant", ({ path, urlParams }) =>
        guard.require(path.tenantId).pipe(
          Effect.zipRight(report(path.tenantId, null, urlParams))
        ))
      .handle("destination", ({ path, urlParams }) =>
        destinations.findById(path.tenantId, path.destinationId).pipe(
          orNotFound("destination", path.destinationId),
          Effect.zipRight(report(path.tenantId, path.destinationId, urlParams))
        ))
  }))
