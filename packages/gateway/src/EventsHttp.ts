import { HttpApiBuilder, HttpServerResponse } from "@effect/platform"
import { SignalApi } from "@signal/domain/SignalApi"
import { EventRepo } from "@signal/store/EventRepo"
import { Effect } from "effect"
import { Ingest } from "./Ingest"
import { atStoreBoundary } from "./StoreBoundary"
import { orNotFound, TenantGuard } from "./TenantGuard"

const created = (json: string) => HttpServerResponse.text(json, { status: 201, contentType: "application/json" })

export const EventsHttp = HttpApiBuilder.group(SignalApi, "event", (handlers) =>
  Effect.gen(function*() {
    const guard = yield* atStoreBoundary(TenantGuard)
    const ingest = yield* atStoreBoundary(Ingest)
    const events = yield* atStoreBoundary(EventRepo)
    return handlers
      // Answered with the events' JSON as ingest wrote it: the contract's shape, not encoded again.
      .handle("create", ({ path, payload }) =>
        ingest.publish(path.tenantId, [payload]).pipe(Effect.map((created) => created[0]), Effect.map(created)))
      .handle("createBatch", ({ path, payload }) =>
        ingest.publish(path.tenantId, payload.events).pipe(
          Effect.map((items) => created(`{"items":[${items.join(",")}]}`))
        ))
      .handle("list", ({ path, urlParams }) =>
        guard.require(path.tenantId).pipe(Effect.zipRight(events.list(path.tenantId, urlParams))))
      .handle("get", ({ path }) =>
        events.findById(path.tenantId, path.eventId).pipe(orNotFound("event", path.eventId)))
  }))
