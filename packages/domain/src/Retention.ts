import { Schema } from "effect"
import { everyBodyProblem } from "./Problems"

export const DEFAULT_RETENTION_DAYS = 30

const Days = Schema.Number.pipe(Schema.int(), Schema.between(1, 3650))

/** A tenant's own retention; null falls back to the server-wide setting. */
export const UpdateRetention = Schema.Struct({
  days: Schema.NullOr(Days).annotations({
    description: "Days events, intents and attempts are kept (null: the server default, `SIGNAL_RETENTION_DAYS`)."
  }),
  responseBodyDays: Schema.optionalWith(Schema.NullOr(Days), { default: () => null }).annotations({
    description: "Days receivers' response bodies are kept on attempts (null: as long as the attempts, or " +
      "`SIGNAL_RESPONSE_BODY_RETENTION_DAYS`); at most `days`."
  })
}).annotations(everyBodyProblem)
export type UpdateRetention = typeof UpdateRetention.Type

export const Retention = Schema.Struct({
  /** As set for the tenant. */
  days: Schema.NullOr(Schema.Number),
  responseBodyDays: Schema.NullOr(Schema.Number),
  /** What applies: the tenant's setting or the server's. */
  effective: Schema.Struct({ days: Schema.Number, responseBodyDays: Schema.Number })
})
export type Retention = typeof Retention.Type
