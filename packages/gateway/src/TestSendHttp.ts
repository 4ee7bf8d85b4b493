import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { SignalApi } from "@signal/domain/SignalApi"
import { TestSender, TestSendRequest } from "@signal/domain/TestSend"
import { DestinationRepo } from "@signal/store/DestinationRepo"
import { Effect, Schema } from "effect"
import { databaseUnavailable } from "./ApiErrors"
import { orNotFound } from "./TenantGuard"

const defaults = Schema.decodeSync(TestSendRequest)({})

export const TestSendHttp = HttpApiBuilder.group(SignalApi, "destinationTest", (handlers) =>
  Effect.gen(function*() {
    const destinations = yield* DestinationRepo
    const sender = yield* TestSender
    return handlers.handle("send", ({ path, payload }) =>
      // Tenant-scoped read first: another tenant's destination (or a deleted one) is a 404.
      destinations.findById(path.tenantId, path.destinationId).pipe(
        orNotFound("destination", path.destinationId),
        Effect.zipRight(destinations.forDelivery(path.destinationId)),
        orNotFound("destination", path.destinationId),
        databaseUnavailable,
        Effect.flatMap((destination) =>
          sender.send({ destination, previousSecrets: destination.previousSecrets, request: payload ?? defaults })
        )
      ))
  }))
