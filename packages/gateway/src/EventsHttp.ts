import { HttpApiBuilder } from "@effect/platform"
import { SignalApi } from "@signal/domain/SignalApi"
import { EventRepo } from "@signal/store/EventRepo"
import { Effect } from "effect"
import { databaseUnavailable } from "./ApiErrors"
import { Ingest } from "./Ingest"
import { orNotFound, TenantGuard } from "./TenantGuard"

export const EventsHttp = HttpApiBuilder.group(SignalApi, "event", (handlers) =>
  Effect.gen(function*() {
    const guard = yield* TenantGuard
    const ingest = yield* Ingest
    const events = yield* EventRepo
    return handlers
      .handle("create", ({ path, payload }) =>
        ingest.publish(path.tenantId, [payload]).pipe(Effect.map((created) => created[0]), databaseUnavailable))
      .handle("createBatch", ({ path, payload }) =>
        ingest.publish(path.tenantId, payload.events).pipe(Effect.map((items) => ({ items })), databaseUnavailable))
      .handle("list", ({ path, urlParams }) =>
        guard.require(path.tenantId).pipe(Effect.zipRight(events.list(path.tenantId, urlParams)), databaseUnavailable))
      .handle("get", ({ path }) =>
        events.findById(path.tenantId, path.eventId).pipe(orNotFound("event", path.eventId), databaseUnavailable))
  }))
