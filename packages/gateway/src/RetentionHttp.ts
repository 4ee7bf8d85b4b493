import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { BadRequest } from "@signal/domain/ApiError"
import { SignalApi } from "@signal/domain/SignalApi"
import { RetentionRepo } from "@signal/store/RetentionRepo"
import { Effect } from "effect"
import { databaseUnavailable } from "./ApiErrors"
import { orNotFound } from "./TenantGuard"

export const RetentionHttp = HttpApiBuilder.group(SignalApi, "retention", (handlers) =>
  Effect.gen(function*() {
    const retention = yield* RetentionRepo
    return handlers
      .handle("get", ({ path }) =>
        retention.get(path.tenantId).pipe(orNotFound("tenant", path.tenantId), databaseUnavailable))
      .handle("set", ({ path, payload }) =>
        payload.responseBodyDays !== null && payload.days !== null && payload.responseBodyDays > payload.days
          ? Effect.fail(
            new BadRequest({
              code: "invalid_retention",
              message: "responseBodyDays must not exceed days: bodies are deleted with their attempts"
            })
          )
          : retention.set(path.tenantId, payload).pipe(orNotFound("tenant", path.tenantId), databaseUnavailable))
  }))
