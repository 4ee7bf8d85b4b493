import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { SignalApi } from "@signal/domain/SignalApi"
import { SenderRepo } from "@signal/store/SenderRepo"
import { TenantRepo } from "@signal/store/TenantRepo"
import { Effect } from "effect"
import { atStoreBoundary } from "./StoreBoundary"
import { orNotFound } from "./TenantGuard"

export const TenantsHttp = HttpApiBuilder.group(SignalApi, "tenant", (handlers) =>
  Effect.gen(function*() {
    const tenants = yield* atStoreBoundary(TenantRepo)
    return handlers
      .handle("upsert", ({ payload }) => tenants.upsert(payload))
      .handle("get", ({ path }) =>
        tenants.findById(path.tenantId).pipe(orNotFound("tenant", path.tenantId)))
  }))

export const SendersHttp = HttpApiBuilder.group(SignalApi, "sender", (handlers) =>
  Effect.gen(function*() {
    const senders = yield* atStoreBoundary(SenderRepo)
    return handlers
      .handle("upsert", ({ payload }) => senders.upsert(payload))
      .handle("get", ({ path }) =>
        senders.findById(path.senderId).pipe(orNotFound("sender", path.senderId)))
  }))
