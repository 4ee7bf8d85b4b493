import { Schema } from "effect"

/** How a destination retries failed deliveries: linear (delay × n) or exponential (delay × 2^(n−1)). */
export class RetryPolicy extends Schema.Class<RetryPolicy>("RetryPolicy")({
  type: Schema.Literal("linear", "exponential"),
  delaySeconds: Schema.Number.pipe(Schema.int(), Schema.between(1, 86_400)),
  maxAttempts: Schema.Number.pipe(Schema.int(), Schema.between(1, 100))
}) {}

export const defaultRetryPolicy = RetryPolicy.make({ type: "exponential", delaySeconds: 30, maxAttempts: 8 })
