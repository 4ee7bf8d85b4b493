import { Effect, Option, type ParseResult, Schema } from "effect"
import { CreateEvent, CreateEventBatch, depthOf, MAX_BATCH_EVENTS, MAX_PAYLOAD_DEPTH } from "./Event"
import { idPattern } from "./Ids"

/**
 * `CreateEvent`'s decoding, by hand for the common shape: a batch of 1,000 events through the schema
 * cost ~10 % of its ingest CPU. Whatever the hand path is not sure of (custom headers, a destination
 * list, keys it does not know, anything invalid) goes through the schema, and a request with any
 * invalid event is decoded by the schema whole, so answers and problems are exactly the schema's.
 */

const senderId = idPattern("snd")

const isText = (value: unknown, max: number): value is string =>
  typeof value === "string" && value.length >= 1 && value.length <= max

const isOptionalKey = (value: unknown) => value === undefined || value === null || isText(value, 255)

/** The keys decoded here; any other sends the event through the schema. */
const handled = new Set(["senderId", "eventType", "topics", "payloadJson", "payload", "idempotencyKey", "orderingKey", "ttlSeconds"])

const MAX_TTL_SECONDS = 60 * 60 * 24 * 90

/** The decoded event when `input` has the common shape and is valid; `undefined` to ask the schema. */
const decodeCommon = (input: unknown): CreateEvent | undefined => {
  if (typeof input !== "object" || input === null || Array.isArray(input)) return undefined
  const event = input as Record<string, unknown>
  for (const key in event) if (!handled.has(key)) return undefined
  const { eventType, idempotencyKey, orderingKey, payload, payloadJson, topics, ttlSeconds } = event
  if (typeof event.senderId !== "string" || !senderId.test(event.senderId) || !isText(eventType, 200)) return undefined
  if (topics !== undefined) {
    if (!Array.isArray(topics) || topics.length > 100) return undefined
    for (const topic of topics) if (!isText(topic, 200)) return undefined
  }
  if (payloadJson !== undefined && typeof payloadJson !== "string") return undefined
  if ("payload" in event && depthOf(payload) > MAX_PAYLOAD_DEPTH) return undefined
  if (!isOptionalKey(idempotencyKey) || !isOptionalKey(orderingKey)) return undefined
  if (
    ttlSeconds !== undefined && ttlSeconds !== null &&
    !(Number.isSafeInteger(ttlSeconds) && (ttlSeconds as number) >= 1 && (ttlSeconds as number) <= MAX_TTL_SECONDS)
  ) return undefined
  // What the schema answers: defaults filled in, optional keys only when given.
  const decoded: Record<string, unknown> = { senderId: event.senderId, eventType, topics: topics ?? [], headers: {} }
  if (payloadJson !== undefined) decoded.payloadJson = payloadJson
  if ("payload" in event) decoded.payload = payload
  if (idempotencyKey !== undefined) decoded.idempotencyKey = idempotencyKey
  if (orderingKey !== undefined) decoded.orderingKey = orderingKey
  if (ttlSeconds !== undefined) decoded.ttlSeconds = ttlSeconds
  return decoded as CreateEvent
}

const decodeOne = Schema.decodeUnknownOption(CreateEvent)
const decodeEvent = Schema.decodeUnknown(CreateEvent)
const decodeBatch = Schema.decodeUnknown(CreateEventBatch)

/** `POST …/events`' body, as `Schema.decodeUnknown(CreateEvent)` decodes it. */
export const decodeCreateEvent = (input: unknown): Effect.Effect<CreateEvent, ParseResult.ParseError> => {
  const decoded = decodeCommon(input)
  return decoded === undefined ? decodeEvent(input) : Effect.succeed(decoded)
}

/** `POST …/events/batch`' body, as `Schema.decodeUnknown(CreateEventBatch)` decodes it. */
export const decodeCreateEventBatch = (
  input: unknown
): Effect.Effect<CreateEventBatch, ParseResult.ParseError> => {
  const events = typeof input === "object" && input !== null ? (input as { events?: unknown }).events : undefined
  if (!Array.isArray(events) || events.length < 1 || events.length > MAX_BATCH_EVENTS) return decodeBatch(input)
  const decoded: Array<CreateEvent> = new Array(events.length)
  for (let i = 0; i < events.length; i++) {
    const event = decodeCommon(events[i]) ?? Option.getOrUndefined(decodeOne(events[i]))
    if (event === undefined) return decodeBatch(input)
    decoded[i] = event
  }
  return Effect.succeed({ events: decoded })
}
