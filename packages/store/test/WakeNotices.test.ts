import { describe, expect, it } from "@effect/vitest"
import type { DestinationId } from "@signal/domain/Ids"
import { Effect, Layer } from "effect"
import * as Pg from "pg"
import { Pool } from "../src/Database"
import * as TestDatabase from "../src/TestDatabase"
import { destinationsOf, noticesOf, WAKE_CHANNEL, WakeNotices } from "../src/WakeNotices"

const ids = (count: number) =>
  Array.from({ length: count }, (_, i) => `dst_${String(i).padStart(26, "0")}` as DestinationId)

describe("noticesOf", () => {
  it("splits ids into notices Postgres takes (under 8,000 bytes), keeping every id once, in order", () => {
    const all = ids(1_000)
    const notices = noticesOf(all)
    expect(notices.length).toBeGreaterThan(1)
    for (const notice of notices) expect(Buffer.byteLength(notice)).toBeLessThan(8_000)
    expect(notices.flatMap(destinationsOf)).toEqual(all)
    expect(noticesOf([])).toEqual([])
  })
})

describe("WakeNotices.notify", () => {
  it.layer(Layer.provideMerge(WakeNotices.Default, TestDatabase.layer), { timeout: 60_000 })((it) => {
    it.effect("reaches a listener on another connection with every id, many notices in one statement", () =>
      Effect.gen(function*() {
        const pool = yield* Pool
        const heard: Array<string> = []
        const listener = new Pg.Client(pool.options)
        yield* Effect.acquireRelease(
          Effect.promise(async () => {
            await listener.connect()
            listener.on("notification", (message) => heard.push(message.payload ?? ""))
            await listener.query(`LISTEN ${WAKE_CHANNEL}`)
          }),
          () => Effect.promise(() => listener.end())
        )
        const all = ids(600)
        yield* (yield* WakeNotices).notify(all)
        yield* Effect.promise(async () => {
          for (let waited = 0; heard.flatMap(destinationsOf).length < all.length && waited < 5_000; waited += 20) {
            await new Promise((resolve) => setTimeout(resolve, 20))
          }
        })
        expect(heard.length).toBeGreaterThan(1)
        expect(heard.flatMap(destinationsOf)).toEqual(all)
      }).pipe(Effect.scoped))
  })
})
