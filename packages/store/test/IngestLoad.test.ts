import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { HEAVY_HOLD_MS, IngestLoad } from "../src/IngestLoad"

describe("IngestLoad", () => {
  it.effect("is heavy during a bulk publish and for the hold after it ended, however long it took", () =>
    Effect.gen(function*() {
      const load = yield* IngestLoad
      expect(load.heavy()).toBe(false)
      load.begin(1_000)
      expect(load.heavy()).toBe(true)
      // a batch that takes longer than the hold (a slow machine): its producer's next one follows its answer
      yield* TestClock.adjust(HEAVY_HOLD_MS * 3)
      expect(load.heavy()).toBe(true)
      load.end(1_000)
      yield* TestClock.adjust(HEAVY_HOLD_MS - 1)
      expect(load.heavy()).toBe(true)
      yield* TestClock.adjust(2)
      expect(load.heavy()).toBe(false)
    }).pipe(Effect.provide(IngestLoad.Default)))

  it.effect("is heavy while producers queue up, and never for a trickle of small publishes", () =>
    Effect.gen(function*() {
      const load = yield* IngestLoad
      for (let i = 0; i < 100; i++) {
        load.begin(1)
        yield* TestClock.adjust(5)
        load.end(1)
        expect(load.heavy()).toBe(false)
      }
      for (let i = 0; i < 8; i++) load.begin(1)
      expect(load.heavy()).toBe(true)
      for (let i = 0; i < 8; i++) load.end(1)
      yield* TestClock.adjust(HEAVY_HOLD_MS)
      expect(load.heavy()).toBe(false)
    }).pipe(Effect.provide(IngestLoad.Default)))
})
