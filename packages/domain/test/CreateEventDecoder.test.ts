import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, ParseResult, Schema } from "effect"
import { decodeCreateEvent, decodeCreateEventBatch } from "../src/CreateEventDecoder"
import { CreateEvent, CreateEventBatch } from "../src/Event"

const sender = "snd_0000000000"
const base = { senderId: sender, eventType: "payment.created" }
const deep = (levels: number): unknown => levels === 0 ? 1 : { a: deep(levels - 1) }

/** Events of every shape the hand path takes, and of every shape it must leave to the schema. */
const events: ReadonlyArray<unknown> = [
  base,
  { ...base, topics: ["eu", "cards"], payload: { amount: 1, nested: [1, { b: null }] } },
  { ...base, payload: null },
  { ...base, payload: "text" },
  { ...base, payloadJson: "{\"a\":1}" },
  { ...base, payloadJson: "{\"a\":1}", payload: { a: 1 } },
  { ...base, idempotencyKey: "k1", orderingKey: "o1", ttlSeconds: 60 },
  { ...base, idempotencyKey: null, orderingKey: null, ttlSeconds: null },
  { ...base, ttlSeconds: 60 * 60 * 24 * 90 },
  { ...base, topics: [] },
  { ...base, topics: Array.from({ length: 100 }, (_, i) => `t${i}`) },
  { ...base, eventType: "x".repeat(200), idempotencyKey: "k".repeat(255) },
  { ...base, payload: deep(32) },
  // through the schema
  { ...base, headers: { "x-one": "1" } },
  { ...base, onlyForDestinations: ["dst_0000000000"] },
  { ...base, onlyForDestinations: null },
  { ...base, unknown: "dropped" },
  // invalid
  { ...base, senderId: "dst_0000000000" },
  { ...base, senderId: 1 },
  { ...base, eventType: "" },
  { ...base, eventType: "x".repeat(201) },
  { eventType: "a" },
  { ...base, topics: Array.from({ length: 101 }, (_, i) => `t${i}`) },
  { ...base, topics: [""] },
  { ...base, topics: "eu" },
  { ...base, payloadJson: 1 },
  { ...base, payload: deep(33) },
  { ...base, idempotencyKey: "" },
  { ...base, orderingKey: "o".repeat(256) },
  { ...base, ttlSeconds: 0 },
  { ...base, ttlSeconds: 1.5 },
  { ...base, ttlSeconds: 60 * 60 * 24 * 90 + 1 },
  { ...base, ttlSeconds: "60" },
  { ...base, headers: { "bad header": "x" } },
  null,
  [],
  "event"
]

/** The decoder's outcome next to the schema's: equal values, or failures with the same problems. */
const same = <A>(ours: Effect.Effect<A, ParseResult.ParseError>, schema: Effect.Effect<A, ParseResult.ParseError>) =>
  Effect.gen(function*() {
    const a = yield* Effect.either(ours)
    const b = yield* Effect.either(schema)
    expect(a._tag).toBe(b._tag)
    if (Either.isRight(a) && Either.isRight(b)) expect(a.right).toStrictEqual(b.right)
    if (Either.isLeft(a) && Either.isLeft(b)) {
      expect(ParseResult.ArrayFormatter.formatErrorSync(a.left)).toStrictEqual(
        ParseResult.ArrayFormatter.formatErrorSync(b.left)
      )
    }
  })

describe("CreateEventDecoder", () => {
  it.effect("decodes every single event exactly as the CreateEvent schema does", () =>
    Effect.forEach(events, (event) => same(decodeCreateEvent(event), Schema.decodeUnknown(CreateEvent)(event)), {
      discard: true
    }))

  it.effect("decodes batches exactly as the CreateEventBatch schema does, problems included", () =>
    Effect.gen(function*() {
      const valid = events.slice(0, 17)
      const bodies: ReadonlyArray<unknown> = [
        { events: valid },
        { events: valid, extra: 1 },
        ...events.slice(17).map((bad) => ({ events: [...valid, bad, base] })),
        { events: Array.from({ length: 1000 }, () => base) },
        { events: Array.from({ length: 1001 }, () => base) },
        { events: [] },
        { events: "none" },
        {},
        null
      ]
      for (const body of bodies) yield* same(decodeCreateEventBatch(body), Schema.decodeUnknown(CreateEventBatch)(body))
    }))
})
