/**
 * A destination's retry policy as timing: the delay before retry n (used to stamp
 * `next_attempt_at` in Postgres) and the same policy as an Effect `Schedule`.
 */
import type { RetryPolicy } from "@signal/domain/RetryPolicy"
import { Duration, Schedule } from "effect"

/** No retry is ever scheduled further out than this, however large the policy makes it. */
export const maxRetryDelay: Duration.Duration = Duration.hours(24)

/** ±20 % jitter, so destinations that failed together do not all retry in the same instant. */
export const jitter = { min: 0.8, max: 1.2 } as const

type Policy = Pick<RetryPolicy, "type" | "delaySeconds" | "maxAttempts">

const baseDelay = (policy: Policy): Duration.Duration => Duration.seconds(policy.delaySeconds)

/**
 * The delay before retry `attemptNumber` (1 = the retry after the first failed attempt):
 * linear `delay × n`, exponential `delay × 2^(n−1)`, jittered, capped at `maxRetryDelay`.
 */
export const retryDelay = (policy: Policy, attemptNumber: number, random: () => number = Math.random): Duration.Duration => {
  const n = Math.max(1, attemptNumber)
  const factor = policy.type === "linear" ? n : Math.pow(2, n - 1)
  const jittered = policy.delaySeconds * 1000 * factor * (jitter.min + (jitter.max - jitter.min) * random())
  return Duration.min(Duration.millis(Math.round(jittered)), maxRetryDelay)
}

/**
 * The policy as a `Schedule` for `Effect.retry`: at most `maxAttempts` executions in total
 * (so `maxAttempts − 1` recurrences), spaced like `retryDelay`.
 */
export const retrySchedule = (policy: Policy): Schedule.Schedule<[Duration.Duration, number]> =>
  (policy.type === "linear" ? Schedule.linear(baseDelay(policy)) : Schedule.exponential(baseDelay(policy), 2)).pipe(
    Schedule.jitteredWith(jitter),
    // Cap after jitter so the cap is a hard ceiling, as in retryDelay.
    Schedule.modifyDelay((_, delay) => Duration.min(delay, maxRetryDelay)),
    Schedule.intersect(Schedule.recurs(Math.max(0, policy.maxAttempts - 1)))
  )

/**
 * When the next attempt is due after `attemptsMade` attempts, or `null` when the policy is
 * exhausted and the delivery has failed for good.
 */
export const nextAttemptAt = (
  policy: Policy,
  attemptsMade: number,
  now: Date,
  random: () => number = Math.random
): Date | null => {
  if (attemptsMade >= policy.maxAttempts) return null
  // No attempt yet: the first one is due immediately.
  if (attemptsMade <= 0) return now
  return new Date(now.getTime() + Duration.toMillis(retryDelay(policy, attemptsMade, random)))
}
