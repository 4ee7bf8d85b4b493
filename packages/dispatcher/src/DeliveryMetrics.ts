import { Metric, MetricBoundaries } from "effect"

/** What became of the intent after an attempt: its only label, so cardinality stays at three. */
export type DeliveryOutcome = "succeeded" | "failed" | "retrying"

/** Attempts by outcome: `retrying` is a failed attempt with another to come, `failed` the final one. */
export const deliveries = Metric.counter("signal_deliveries_total", {
  description: "Delivery attempts by the outcome they left the intent in (succeeded, failed, retrying)",
  incremental: true
})

/** Seconds from sending the request to having the (capped) response body, per attempt. */
export const attemptDuration = Metric.histogram(
  "signal_attempt_duration_seconds",
  MetricBoundaries.fromIterable([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]),
  "Duration of one delivery attempt in seconds"
)

/** Intents started without a claim: leased at their insert to a drain of the publishing process. */
export const adoptedIntents = Metric.counter("signal_intents_adopted_total", {
  description: "Fresh intents a drain of the publishing process started without claiming them",
  incremental: true
})

/** The counter per outcome, keyed once: tagging on every update would build a metric key per delivery. */
const deliveriesBy: Record<DeliveryOutcome, Metric.Metric.Counter<number>> = {
  succeeded: Metric.tagged(deliveries, "outcome", "succeeded"),
  failed: Metric.tagged(deliveries, "outcome", "failed"),
  retrying: Metric.tagged(deliveries, "outcome", "retrying")
}

const noTags: ReadonlyArray<never> = []

/**
 * Counts one attempt; `durationMs` is absent for intents that expired before an attempt was made.
 * Updated in place, not as an effect: it runs once per delivery, inside a loop that is already one.
 */
export const countAttempt = (outcome: DeliveryOutcome, durationMs: number | null): void => {
  deliveriesBy[outcome].unsafeUpdate(1, noTags)
  if (durationMs !== null) attemptDuration.unsafeUpdate(durationMs / 1000, noTags)
}

/** Counts intents adopted at their insert (`IntentAdoption`). */
export const countAdopted = (intents: number): void => adoptedIntents.unsafeUpdate(intents, noTags)
