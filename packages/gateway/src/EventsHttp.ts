import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import type { HttpServerRequest } from "@effect/platform/HttpServerRequest"
import { HttpApiDecodeError } from "@effect/platform/HttpApiError"
import { decodeCreateEvent, decodeCreateEventBatch } from "@signal/domain/CreateEventDecoder"
import { SignalApi } from "@signal/domain/SignalApi"
import { EventRepo } from "@signal/store/EventRepo"
import { jsonArrayBytes } from "@signal/store/JsonArrayBytes"
import { Effect, type ParseResult } from "effect"
import { Ingest } from "./Ingest"
import { atStoreBoundary } from "./StoreBoundary"
import { orNotFound, TenantGuard } from "./TenantGuard"

/**
 * The body as the platform reads it (a body that is not JSON is a defect its error handling answers 400),
 * decoded by the contract's own schema except for the common shape, decoded by hand (`CreateEventDecoder`).
 */
const payloadOf = <A>(request: HttpServerRequest, decode: (input: unknown) => Effect.Effect<A, ParseResult.ParseError>) =>
  Effect.flatMap(Effect.orDie(request.json), decode).pipe(Effect.catchTag("ParseError", HttpApiDecodeError.refailParseError))

const created = (json: string) => HttpServerResponse.text(json, { status: 201, contentType: "application/json" })

export const EventsHttp = HttpApiBuilder.group(SignalApi, "event", (handlers) =>
  Effect.gen(function*() {
    const guard = yield* atStoreBoundary(TenantGuard)
    const ingest = yield* atStoreBoundary(Ingest)
    const events = yield* atStoreBoundary(EventRepo)
    return handlers
      // Answered with the events' JSON as ingest wrote it: the contract's shape, not encoded again (a
      // batch's straight into bytes).
      .handleRaw("create", ({ path, request }) =>
        payloadOf(request, decodeCreateEvent).pipe(
          Effect.flatMap((payload) => ingest.publish(path.tenantId, [payload])),
          Effect.map((created) => created[0]),
          Effect.map(created)
        ))
      .handleRaw("createBatch", ({ path, request }) =>
        payloadOf(request, decodeCreateEventBatch).pipe(
          Effect.flatMap((payload) => ingest.publish(path.tenantId, payload.events)),
          Effect.map((items) =>
            HttpServerResponse.uint8Array(jsonArrayBytes(items.length, (i) => items[i], `{"items":[`, "]}"), {
              status: 201,
              contentType: "application/json"
            })
          )
        ))
      .handle("list", ({ path, urlParams }) =>
        guard.require(path.tenantId).pipe(Effect.zipRight(events.list(path.tenantId, urlParams))))
      .handle("get", ({ path }) =>
        events.findById(path.tenantId, path.eventId).pipe(orNotFound("event", path.eventId)))
  }))
