import { HttpApiBuilder } from "@effect/platform"
import { SignalApi } from "@signal/domain/SignalApi"
import { SenderRepo } from "@signal/store/SenderRepo"
import { TenantRepo } from "@signal/store/TenantRepo"
import { Effect } from "effect"
import { databaseUnavailable } from "./ApiErrors"
import { orNotFound } from "./TenantGuard"

export const TenantsHttp = HttpApiBuilder.group(SignalApi, "tenant", (handlers) =>
  Effect.gen(function*() {
    const tenants = yield* TenantRepo
    return handlers
      .handle("upsert", ({ payload }) => tenants.upsert(payload).pipe(databaseUnavailable))
      .handle("get", ({ path }) =>
        tenants.findById(path.tenantId).pipe(orNotFound("tenant", path.tenantId), databaseUnavailable))
  }))

export const SendersHttp = HttpApiBuilder.group(SignalApi, "sender", (handlers) =>
  Effect.gen(function*() {
    const senders = yield* SenderRepo
    return handlers
      .handle("upsert", ({ payload }) => senders.upsert(payload).pipe(databaseUnavailable))
      .handle("get", ({ path }) =>
        senders.findById(path.senderId).pipe(orNotFound("sender", path.senderId), databaseUnavailable))
  }))
