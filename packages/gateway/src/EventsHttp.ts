import { HttpApiBuilder, HttpServerResponse } from "@effect/platform"
import { SignalApi } from "@signal/domain/SignalApi"
import { EventRepo } from "@signal/store/EventRepo"
import { Effect } from "effect"
import { databaseUnavailable } from "./ApiErrors"
import { Ingest } from "./Ingest"
import { orNotFound, TenantGuard } from "./TenantGuard"

const created = (json: string) => HttpServerResponse.text(json, { status: 201, contentType: "application/json" })

export const EventsHttp = HttpApiBuilder.group(SignalApi, "event", (handlers) =>
  Effect.gen(function*() {
    const guard = yield* TenantGuard
    const ingest = yield* Ingest
    const events = yield* EventRepo
    return handlers
      // Answered with the events' JSON as ingest wrote it: the contract's shape, not encoded again.
      .handle("create", ({ path, payload }) =>
        ingest.publish(path.tenantId, [payload]).pipe(Effect.map((created) => created[0]), Effect.map(created), databaseUnavailable))
      .handle("createBatch", ({ path, payload }) =>
        ingest.publish(path.tenantId, payload.events).pipe(
          Effect.map((items) => created(`{"items":[${items.join(",")}]}`)),
          databaseUnavailable
        ))
      .handle("list", ({ path, urlParams }) =>
        guard.require(path.tenantId).pipe(Effect.zipRight(events.list(path.tenantId, urlParams)), databaseUnavailable))
      .handle("get", ({ path }) =>
        events.findById(path.tenantId, path.eventId).pipe(orNotFound("event", path.eventId), databaseUnavailable))
  }))
