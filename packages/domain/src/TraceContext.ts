import { Effect, Option, Tracer } from "effect"

/**
 * W3C trace context as stored with events and delivery intents, so that work done later, in another
 * process, still joins the trace of the request that published the event.
 */
export const toTraceparent = (span: { readonly traceId: string; readonly spanId: string; readonly sampled: boolean }) =>
  `00-${span.traceId}-${span.spanId}-${span.sampled ? "01" : "00"}`

/** Parses a stored `traceparent` (version 00) into a parent for new spans. */
export const fromTraceparent = (traceparent: string | null | undefined): Option.Option<Tracer.ExternalSpan> => {
  const match = traceparent?.match(/^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/)
  return match
    ? Option.some(Tracer.externalSpan({
      traceId: match[1],
      spanId: match[2],
      sampled: (parseInt(match[3], 16) & 1) === 1
    }))
    : Option.none()
}

/** The traceparent of the current span, if there is one. */
export const currentTraceparent: Effect.Effect<string | null> = Effect.map(
  Effect.option(Effect.currentSpan),
  Option.match({ onNone: () => null, onSome: toTraceparent })
)
