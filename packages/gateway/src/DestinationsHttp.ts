import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { NotFound } from "@signal/domain/ApiError"
import { DEFAULT_ROTATION_GRACE_SECONDS } from "@signal/domain/Destination"
import type { SenderId } from "@signal/domain/Ids"
import { SignalApi } from "@signal/domain/SignalApi"
import { DestinationRepo } from "@signal/store/DestinationRepo"
import { SenderRepo } from "@signal/store/SenderRepo"
import { Effect } from "effect"
import { atStoreBoundary } from "./StoreBoundary"
import { orNotFound, TenantGuard } from "./TenantGuard"
import { Waker } from "./Waker"

export const DestinationsHttp = HttpApiBuilder.group(SignalApi, "eventDestination", (handlers) =>
  Effect.gen(function*() {
    const guard = yield* atStoreBoundary(TenantGuard)
    const destinations = yield* atStoreBoundary(DestinationRepo)
    const senders = yield* atStoreBoundary(SenderRepo)
    const waker = yield* Waker
    const requireSender = (senderId: SenderId | null | undefined) =>
      senderId == null ? Effect.void : senders.findById(senderId).pipe(orNotFound("sender", senderId), Effect.asVoid)

    return handlers
      .handle("create", ({ path, payload }) =>
        guard.require(path.tenantId).pipe(
          Effect.zipRight(requireSender(payload.senderId)),
          Effect.zipRight(destinations.create(path.tenantId, payload))
        ))
      .handle("list", ({ path, urlParams }) =>
        guard.require(path.tenantId).pipe(
          Effect.zipRight(destinations.list(path.tenantId, urlParams))
        ))
      .handle("get", ({ path }) =>
        destinations.findById(path.tenantId, path.destinationId).pipe(
          orNotFound("destination", path.destinationId)
        ))
      .handle("update", ({ path, payload }) =>
        requireSender(payload.senderId).pipe(
          Effect.zipRight(destinations.update(path.tenantId, path.destinationId, payload)),
          orNotFound("destination", path.destinationId),
          // Re-enabled or re-configured: the entity re-reads it and looks at its queue again.
          Effect.tap((destination) => waker.reconfigured(destination.id))
        ))
      .handle("delete", ({ path }) =>
        destinations.remove(path.tenantId, path.destinationId).pipe(
          Effect.flatMap((removed) =>
            removed
              ? Effect.as(waker.reconfigured(path.destinationId), { id: path.destinationId, deleted: true as const })
              : Effect.fail(NotFound.of("destination", path.destinationId))
          )
        ))
      .handle("rotateSecret", ({ path, payload }) =>
        destinations.rotateSecret(
          path.tenantId,
          path.destinationId,
          payload?.graceSeconds ?? DEFAULT_ROTATION_GRACE_SECONDS
        ).pipe(
          orNotFound("destination", path.destinationId),
          Effect.tap(() => Effect.logInfo(`signing secret of ${path.destinationId} rotated`))
        ))
  }))
