import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { DeliveryQueue } from "@signal/store/DeliveryQueue"
import { IngestLoad } from "@signal/store/IngestLoad"
import { DestinationRepo } from "@signal/store/DestinationRepo"
import * as TestDatabase from "@signal/store/TestDatabase"
import { Effect, Layer } from "effect"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { DestinationDrains } from "../src/DestinationDrains"
import { DestinationWatch } from "../src/DestinationWatch"
import { DispatcherConfig } from "../src/DispatcherConfig"
import { HttpSender } from "../src/HttpSender"
import { LeaseKeeper } from "../src/LeaseKeeper"
import { OutcomeWriter } from "../src/OutcomeWriter"
import { SsrfGuard } from "../src/SsrfGuard"
import { eventually, seedBacklog } from "./fixtures"

const SLOTS = 2

const DrainsLive = DestinationDrains.Default.pipe(
  Layer.provideMerge(Layer.mergeAll(
    HttpSender.Default.pipe(Layer.provide(SsrfGuard.layer(["127.0.0.0/8"]))),
    DestinationWatch.Default,
    LeaseKeeper.Default
  )),
  Layer.provideMerge(Layer.mergeAll(
    DestinationRepo.Default,
    Layer.succeed(DispatcherConfig, {
      maxSleepMs: 30_000,
      sweepIntervalMs: 1_000,
      circuitFailureThreshold: 10,
      circuitFailureRatio: 0.5,
      circuitCoolDownMs: 30_000,
      autoDisableAfterMs: 24 * 60 * 60 * 1000,
      leaseMs: 4_000,
      claimMaxBytes: 4 * 1024 * 1024,
      maxDrainingDestinations: SLOTS,
      clusterPruneIntervalMs: 600_000,
      clusterRetentionMs: 3_600_000
    })
  )),
  Layer.provideMerge(Layer.merge(Layer.provideMerge(OutcomeWriter.Default, DeliveryQueue.Default), IngestLoad.Default)),
  Layer.provideMerge(TestDatabase.layer)
)

/** Answers 200 after `delayMs`, and tracks how many destinations (`?d=`) have a request open at once. */
const slowReceiver = (delayMs: number) =>
  Effect.acquireRelease(
    Effect.async<{ readonly url: string; readonly mostAtOnce: () => number; readonly close: () => void }>((resume) => {
      const open = new Map<string, number>()
      let mostAtOnce = 0
      const server = createServer((request, response) => {
        const destination = new URL(request.url ?? "/", "http://x").searchParams.get("d") ?? ""
        open.set(destination, (open.get(destination) ?? 0) + 1)
        mostAtOnce = Math.max(mostAtOnce, open.size)
        request.resume()
        request.on("end", () =>
          setTimeout(() => {
            const left = (open.get(destination) ?? 1) - 1
            if (left === 0) open.delete(destination)
            else open.set(destination, left)
            response.writeHead(200).end()
          }, delayMs))
      })
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as AddressInfo
        resume(Effect.succeed({
          url: `http://127.0.0.1:${port}/hook`,
          mostAtOnce: () => mostAtOnce,
          close: () => {
            server.closeAllConnections()
            server.close()
          }
        }))
      })
    }),
    (receiver) => Effect.sync(receiver.close)
  )

describe("DestinationDrains", () => {
  it.live("drains at most SIGNAL_MAX_DRAINING_DESTINATIONS destinations at once, and every woken one in its turn", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const drains = yield* DestinationDrains
      const receiver = yield* slowReceiver(5)
      const seeded = yield* Effect.forEach(
        Array.from({ length: 6 }, (_, i) => i),
        (i) => seedBacklog({ url: `${receiver.url}?d=${i}`, intents: 20, maxConcurrency: 2 })
      )
      yield* Effect.forEach(seeded, ({ destinationId }) => drains.wakeOwned([destinationId]), { discard: true })
      const destinationIds = seeded.map(({ destinationId }) => destinationId)
      yield* eventually(
        Effect.map(
          Effect.orDie(sql<{ n: number }>`
            SELECT count(*)::int AS n FROM delivery_intents
            WHERE destination_id = ANY(${destinationIds}::text[]) AND status = 'succeeded'`),
          (rows) => rows[0].n === 6 * 20
        ),
        "every destination to be drained",
        60_000
      )
      // Destinations waiting for a turn sent nothing: requests were open for two destinations at most.
      expect(receiver.mostAtOnce()).toBe(SLOTS)
    }).pipe(Effect.provide(DrainsLive), Effect.scoped), 90_000)

  it.live("lends ingest room only for destinations it drained lately, as a claim would take, and none while ingest is heavy", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const drains = yield* DestinationDrains
      const ingest = yield* IngestLoad
      const receiver = yield* slowReceiver(1)
      const { destinationId } = yield* seedBacklog({ url: receiver.url, intents: 3, maxConcurrency: 8 })
      // never drained here: its settings are unknown, so its intents are woken and claimed
      expect(drains.adoption.room(destinationId)).toBe(0)
      yield* drains.wakeOwned([destinationId])
      yield* eventually(
        Effect.map(
          Effect.orDie(sql<{ n: number }>`
            SELECT count(*)::int AS n FROM delivery_intents WHERE destination_id = ${destinationId} AND status = 'succeeded'`),
          (rows) => rows[0].n === 3
        ),
        "the destination to be drained",
        30_000
      )
      // idle now: a new turn would claim twice its concurrency
      yield* eventually(Effect.sync(() => drains.adoption.room(destinationId) === 16), "room for adopted intents", 10_000)
      ingest.begin(1_000)
      expect(drains.adoption.room(destinationId)).toBe(0)
      ingest.end(1_000)
      yield* eventually(Effect.sync(() => drains.adoption.room(destinationId) === 16), "room once ingest is light", 10_000)
    }).pipe(Effect.provide(DrainsLive), Effect.scoped), 60_000)
})
