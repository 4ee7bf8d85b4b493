import { Clock, Context, Effect, Exit, Option, Tracer } from "effect"

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

export interface DeliverySpanOptions {
  readonly parent: string | null
  readonly eventId: string
  readonly eventType: string
  readonly destinationId: string
  readonly intentId: string
}

/**
 * Opens and closes the `Delivery` span of each event at each destination, a child of the event's
 * ingest span, and returns their traceparents: every attempt of that delivery, whenever and wherever
 * it runs, becomes a child of its span. Made directly with the tracer, without a fiber each: ingest
 * of a large fan-out makes one per intent.
 */
export const deliverySpans = (deliveries: ReadonlyArray<DeliverySpanOptions>): Effect.Effect<Array<string | null>> =>
  Effect.map(Effect.all([Effect.tracer, Clock.currentTimeNanos]), ([tracer, now]) => {
    const parents = new Map<string, Option.Option<Tracer.ExternalSpan>>()
    return deliveries.map((options) => {
      if (options.parent === null) return null
      let parent = parents.get(options.parent)
      if (parent === undefined) {
        parent = fromTraceparent(options.parent)
        parents.set(options.parent, parent)
      }
      if (Option.isNone(parent)) return options.parent
      const span = tracer.span("Delivery", parent, Context.empty(), [], now, "producer", { captureStackTrace: false })
      span.attribute("signal.event_id", options.eventId)
      span.attribute("signal.event_type", options.eventType)
      span.attribute("signal.destination_id", options.destinationId)
      span.attribute("signal.intent_id", options.intentId)
      span.end(now, Exit.void)
      return toTraceparent(span)
    })
  })
