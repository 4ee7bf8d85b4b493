import { Config, Context, Effect, Layer } from "effect"

/** Tunables of the delivery engine, read once from the environment. */
export class DispatcherConfig extends Context.Tag("@signal/dispatcher/DispatcherConfig")<DispatcherConfig, {
  /** How far ahead a destination's next due intent gets a timer in this process; later ones are the sweeper's. */
  readonly maxSleepMs: number
  /** Sweeper period. */
  readonly sweepIntervalMs: number
  /**
   * Circuit breaker: consecutive failures that open it, the share of failures among the last outcomes
   * that also does (0: off), and cool-down before a probe.
   */
  readonly circuitFailureThreshold: number
  readonly circuitFailureRatio: number
  readonly circuitCoolDownMs: number
  /** A destination failing without a success for this long is disabled. */
  readonly autoDisableAfterMs: number
  /** How long a claim holds an intent without renewal; renewed every third of it while working. */
  readonly leaseMs: number
  /** Payload bytes one claim may bring into memory (at least one intent is always claimed). */
  readonly claimMaxBytes: number
  /** Destinations one process drains at once; the others wait their turn. */
  readonly maxDrainingDestinations: number
  /** How often, and after how long, processed cluster messages and dead runners are pruned. */
  readonly clusterPruneIntervalMs: number
  readonly clusterRetentionMs: number
}>() {
  static readonly layer = Layer.effect(
    DispatcherConfig,
    Effect.gen(function*() {
      return {
        maxSleepMs: yield* Config.integer("SIGNAL_ENTITY_MAX_SLEEP_MS").pipe(Config.withDefault(30_000)),
        sweepIntervalMs: yield* Config.integer("SIGNAL_SWEEP_INTERVAL_MS").pipe(Config.withDefault(1_000)),
        circuitFailureThreshold: yield* Config.integer("SIGNAL_CIRCUIT_FAILURE_THRESHOLD").pipe(Config.withDefault(10)),
        circuitFailureRatio: yield* Config.number("SIGNAL_CIRCUIT_FAILURE_RATIO").pipe(
          Config.withDefault(0.5),
          Config.validate({ message: "expected a share between 0 and 1", validation: (ratio) => ratio >= 0 && ratio <= 1 })
        ),
        circuitCoolDownMs: yield* Config.integer("SIGNAL_CIRCUIT_COOLDOWN_MS").pipe(Config.withDefault(30_000)),
        autoDisableAfterMs: yield* Config.integer("SIGNAL_AUTO_DISABLE_AFTER_MS").pipe(
          Config.withDefault(5 * 24 * 60 * 60 * 1000)
        ),
        leaseMs: yield* Config.integer("SIGNAL_LEASE_MS").pipe(Config.withDefault(4_000)),
        claimMaxBytes: yield* Config.integer("SIGNAL_CLAIM_MAX_BYTES").pipe(Config.withDefault(4 * 1024 * 1024)),
        maxDrainingDestinations: yield* Config.integer("SIGNAL_MAX_DRAINING_DESTINATIONS").pipe(
          Config.withDefault(256),
          Config.validate({ message: "expected at least 1", validation: (n) => n >= 1 })
        ),
        clusterPruneIntervalMs: yield* Config.integer("SIGNAL_CLUSTER_PRUNE_INTERVAL_MS").pipe(
          Config.withDefault(10 * 60 * 1000)
        ),
        clusterRetentionMs: yield* Config.integer("SIGNAL_CLUSTER_RETENTION_MS").pipe(Config.withDefault(60 * 60 * 1000))
      }
    })
  )
}
