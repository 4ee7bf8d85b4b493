import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { BadRequest, Conflict, NotFound } from "@signal/domain/ApiError"
import type { DestinationId } from "@signal/domain/Ids"
import { MAX_RECOVERY_WINDOW_DAYS, type ReplayResult } from "@signal/domain/Recovery"
import { SignalApi } from "@signal/domain/SignalApi"
import { RecoveryRepo } from "@signal/store/RecoveryRepo"
import { Clock, DateTime, Effect } from "effect"
import { databaseUnavailable } from "./ApiErrors"
import { RecoveryRunner } from "./RecoveryRunner"
import { orNotFound, TenantGuard } from "./TenantGuard"
import { Waker } from "./Waker"

const invalidRange = (message: string) => Effect.fail(new BadRequest({ code: "invalid_time_range", message }))

const disabled = (destinationId: DestinationId) =>
  new Conflict({
    code: "destination_disabled",
    message: `destination ${destinationId} is disabled: nothing would deliver (enable it first)`
  })

export const RecoveryHttp = HttpApiBuilder.group(SignalApi, "recovery", (handlers) =>
  Effect.gen(function*() {
    const guard = yield* TenantGuard
    const repo = yield* RecoveryRepo
    const runner = yield* RecoveryRunner
    const waker = yield* Waker
    return handlers
      .handle("recover", ({ path, payload }) =>
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          const since = DateTime.toDate(payload.since)
          const until = payload.until === undefined ? new Date(now) : DateTime.toDate(payload.until)
          if (since.getTime() >= until.getTime()) {
            return yield* invalidRange(`since must be before ${payload.until === undefined ? "now" : "until"}`)
          }
          if (until.getTime() - since.getTime() > MAX_RECOVERY_WINDOW_DAYS * 86_400_000) {
            return yield* invalidRange(`a recovery covers at most ${MAX_RECOVERY_WINDOW_DAYS} days; split it`)
          }
          yield* guard.require(path.tenantId)
          const state = yield* repo.destinationState(path.tenantId, path.destinationId)
          if (state === "missing") return yield* Effect.fail(NotFound.of("destination", path.destinationId))
          if (state === "disabled") return yield* Effect.fail(disabled(path.destinationId))
          const { created, job } = yield* repo.create({
            tenantId: path.tenantId,
            destinationId: path.destinationId,
            since,
            until,
            untilGiven: payload.until !== undefined,
            statuses: payload.status
          })
          if (created) yield* runner.started(job.id)
          return job
        }).pipe(databaseUnavailable))
      .handle("get", ({ path }) =>
        repo.findById(path.tenantId, path.jobId).pipe(orNotFound("recovery job", path.jobId), databaseUnavailable))
      .handle("replay", ({ path, payload }) =>
        repo.replay(path.tenantId, path.eventId, payload?.destinationIds).pipe(
          Effect.flatMap((result): Effect.Effect<ReplayResult, NotFound | Conflict> => {
            switch (result._tag) {
              case "EventMissing":
                return Effect.fail(NotFound.of("event", path.eventId))
              case "DestinationMissing":
                return Effect.fail(NotFound.of("destination", result.destinationId))
              case "DestinationDisabled":
                return Effect.fail(disabled(result.destinationId))
              case "Replayed":
                return Effect.as(
                  waker.wake(new Set(result.deliveries.map((delivery) => delivery.destinationId))),
                  { eventId: path.eventId, deliveries: result.deliveries }
                )
            }
          }),
          databaseUnavailable
        ))
  }))
