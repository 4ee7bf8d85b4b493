import * as Singleton from "@effect/cluster/Singleton"
import { DEFAULT_RETENTION_BATCH, RetentionRepo, type TenantRetention } from "@signal/store/RetentionRepo"
import { Clock, Config, Duration, Effect } from "effect"

const DAY_MS = 86_400_000
/** A breath between batches, so pruning a large backlog never holds the database for long. */
const PAUSE = Duration.millis(20)

/**
 * One pruner in the whole cluster deletes what retention no longer keeps: each tenant's old events
 * with their intents and attempts, then older response bodies, in bounded batches of short
 * transactions (every batch commits on its own; a stopped pass resumes where the data says).
 */
export const RetentionLive = Singleton.make(
  "signal-retention",
  Effect.gen(function*() {
    const repo = yield* RetentionRepo
    const interval = yield* Config.integer("SIGNAL_RETENTION_INTERVAL_MS").pipe(Config.withDefault(60 * 60 * 1000))
    const batch = yield* Config.integer("SIGNAL_RETENTION_BATCH").pipe(Config.withDefault(DEFAULT_RETENTION_BATCH))

    /** Runs `step` until a batch comes back short; answers the total. */
    const drain = (step: Effect.Effect<number, unknown>) => {
      const loop = (total: number): Effect.Effect<number, unknown> =>
        Effect.flatMap(step, (n) => n < batch ? Effect.succeed(total + n) : Effect.zipRight(Effect.sleep(PAUSE), loop(total + n)))
      return loop(0)
    }

    const pruneTenant = (tenant: TenantRetention, now: number) =>
      Effect.gen(function*() {
        const events = yield* drain(
          Effect.map(repo.pruneEvents(tenant.tenantId, new Date(now - tenant.days * DAY_MS), batch), (n) => n.events)
        )
        const bodies = yield* drain(
          repo.pruneResponseBodies(tenant.tenantId, new Date(now - tenant.responseBodyDays * DAY_MS), batch)
        )
        if (events + bodies > 0) {
          yield* Effect.logInfo("retention pruned", { tenantId: tenant.tenantId, events, responseBodies: bodies })
        }
      })

    const pass = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const tenants = yield* repo.tenants()
      yield* Effect.forEach(tenants, (tenant) => pruneTenant(tenant, now), { discard: true })
      yield* repo.pruneRecoveryJobs(new Date(now))
    }).pipe(
      Effect.catchAllCause((cause) => Effect.logWarning("retention pass failed; retrying next period", cause)),
      Effect.withSpan("Retention.pass")
    )
    yield* Effect.forever(pass.pipe(Effect.zipRight(Effect.sleep(interval))))
  })
)
