/**
 * A destination's retry policy as one Effect `Schedule`: it times `Effect.retry` and, stepped
 * without sleeping, it stamps each failed attempt's `next_attempt_at` in Postgres. One source of
 * truth for both.
 */
import type { RetryPolicy } from "@signal/domain/RetryPolicy"
import { Duration, Effect, Schedule, ScheduleDecision, ScheduleIntervals } from "effect"

/** No retry is ever scheduled further out than this, however large the policy makes it. */
export const maxRetryDelay: Duration.Duration = Duration.hours(24)

/** ±20 % jitter, so destinations that failed together do not all retry in the same instant. */
export const jitter = { min: 0.8, max: 1.2 } as const

type Policy = Pick<RetryPolicy, "type" | "delaySeconds" | "maxAttempts">

/**
 * The policy as a `Schedule`: at most `maxAttempts` executions in total (so `maxAttempts − 1`
 * recurrences); retry n waits linear `delay × n` or exponential `delay × 2^(n−1)`, jittered by
 * ±20 % (from the `Random` service), capped at `maxRetryDelay`.
 */
export const retrySchedule = (policy: Policy): Schedule.Schedule<[Duration.Duration, number]> =>
  (policy.type === "linear"
    ? Schedule.linear(Duration.seconds(policy.delaySeconds))
    : Schedule.exponential(Duration.seconds(policy.delaySeconds), 2)).pipe(
      Schedule.jitteredWith(jitter),
      // Cap after jitter so the cap is a hard ceiling.
      Schedule.modifyDelay((_, delay) => Duration.min(delay, maxRetryDelay)),
      Schedule.intersect(Schedule.recurs(Math.max(0, policy.maxAttempts - 1)))
    )

/**
 * When the next attempt is due after `attemptsMade` attempts, `now` being when the last one ended:
 * the retry schedule stepped `attemptsMade` times, or `null` when it is done (the policy is
 * exhausted and the delivery has failed for good). No attempt yet: due `now`.
 */
export const nextAttemptAt = (policy: Policy, attemptsMade: number, now: Date): Effect.Effect<Date | null> =>
  Effect.gen(function*() {
    if (attemptsMade <= 0) return now
    const schedule = retrySchedule(policy)
    const nowMs = now.getTime()
    let state = schedule.initial
    let decision: ScheduleDecision.ScheduleDecision = ScheduleDecision.done
    for (let step = 0; step < attemptsMade; step++) {
      ;[state, , decision] = yield* schedule.step(nowMs, undefined, state)
      if (ScheduleDecision.isDone(decision)) return null
    }
    return ScheduleDecision.isDone(decision) ? null : new Date(ScheduleIntervals.start(decision.intervals))
  })
