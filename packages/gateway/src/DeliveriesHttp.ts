import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { Conflict } from "@signal/domain/ApiError"
import { SignalApi } from "@signal/domain/SignalApi"
import { AttemptRepo } from "@signal/store/AttemptRepo"
import { IntentRepo } from "@signal/store/IntentRepo"
import { Effect } from "effect"
import { atStoreBoundary } from "./StoreBoundary"
import { orNotFound, TenantGuard } from "./TenantGuard"
import { Waker } from "./Waker"

export const IntentsHttp = HttpApiBuilder.group(SignalApi, "eventDeliveryIntent", (handlers) =>
  Effect.gen(function*() {
    const guard = yield* atStoreBoundary(TenantGuard)
    const intents = yield* atStoreBoundary(IntentRepo)
    const waker = yield* Waker
    return handlers
      .handle("list", ({ path, urlParams }) =>
        guard.require(path.tenantId).pipe(Effect.zipRight(intents.list(path.tenantId, urlParams))))
      .handle("get", ({ path }) =>
        intents.findById(path.tenantId, path.intentId).pipe(
          orNotFound("delivery intent", path.intentId)
        ))
      .handle("retry", ({ path }) =>
        intents.retryNow(path.tenantId, path.intentId).pipe(
          orNotFound("delivery intent", path.intentId),
          Effect.flatMap((result) =>
            result._tag === "Reopened"
              ? waker.wake([result.destinationId])
              : result._tag === "EventExpired"
              ? Effect.fail(new Conflict({ code: "event_expired", message: "the event's ttl has ended: a retry would not be sent" }))
              : Effect.fail(
                new Conflict({
                  code: `destination_${result.state}`,
                  message: `the intent's destination is ${result.state}: nothing would deliver a retry` +
                    (result.state === "disabled" ? " (enable the destination first)" : "")
                })
              )
          ),
          Effect.zipRight(intents.findById(path.tenantId, path.intentId)),
          orNotFound("delivery intent", path.intentId)
        ))
  }))

export const AttemptsHttp = HttpApiBuilder.group(SignalApi, "eventDeliveryAttempt", (handlers) =>
  Effect.gen(function*() {
    const guard = yield* atStoreBoundary(TenantGuard)
    const attempts = yield* atStoreBoundary(AttemptRepo)
    return handlers
      .handle("list", ({ path, urlParams }) =>
        guard.require(path.tenantId).pipe(Effect.zipRight(attempts.list(path.tenantId, urlParams))))
      .handle("get", ({ path }) =>
        attempts.findById(path.tenantId, path.attemptId).pipe(
          orNotFound("delivery attempt", path.attemptId)
        ))
  }))
