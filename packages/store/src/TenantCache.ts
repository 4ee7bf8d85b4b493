import type { TenantId } from "@signal/domain/Ids"
import { Clock, Deferred, Effect, Exit, FiberId } from "effect"

/** Tenants whose entries are kept at most; past it the cache starts over (it only saves reads). */
const MAX_TENANTS = 10_000

/**
 * A short-lived, per-tenant memo of `load`: answers from memory for `ttlMillis` (0 turns it off),
 * runs one load at a time per tenant (callers meanwhile share it), and forgets a tenant at once when
 * told it changed — also a load still running then, whose result was read before the change.
 */
export const makeTenantCache = <A, E>(
  load: (tenantId: TenantId) => Effect.Effect<A, E>,
  ttlMillis: number
) =>
  Effect.sync(() => {
    const entries = new Map<TenantId, { readonly generation: number; readonly expiresAt: number; readonly value: A }>()
    const loading = new Map<TenantId, { readonly generation: number; readonly deferred: Deferred.Deferred<A, E> }>()
    /** Bumped by every change of a tenant: results read under an older generation are never kept. */
    const generations = new Map<TenantId, number>()

    const get = (tenantId: TenantId): Effect.Effect<A, E> =>
      ttlMillis === 0 ? load(tenantId) : Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const generation = generations.get(tenantId) ?? 0
        const entry = entries.get(tenantId)
        if (entry !== undefined && entry.generation === generation && entry.expiresAt > now) {
          return Effect.succeed(entry.value)
        }
        const running = loading.get(tenantId)
        if (running !== undefined && running.generation === generation) return Deferred.await(running.deferred)
        const deferred = Deferred.unsafeMake<A, E>(FiberId.none)
        loading.set(tenantId, { generation, deferred })
        // Uninterruptible so that callers sharing the load always get its result.
        return Effect.uninterruptible(Effect.onExit(load(tenantId), (exit) =>
          Effect.suspend(() => {
            if (loading.get(tenantId)?.deferred === deferred) loading.delete(tenantId)
            if (Exit.isSuccess(exit) && (generations.get(tenantId) ?? 0) === generation) {
              if (entries.size >= MAX_TENANTS) entries.clear()
              entries.set(tenantId, { generation, expiresAt: now + ttlMillis, value: exit.value })
            }
            return Deferred.done(deferred, exit)
          })))
      })

    const invalidate = (tenantId: TenantId) =>
      Effect.sync(() => {
        generations.set(tenantId, (generations.get(tenantId) ?? 0) + 1)
        entries.delete(tenantId)
      })

    return { get, invalidate } as const
  })
