import { Effect } from "effect"

/** Publish requests in progress at once from which producers are taken to be queuing. */
const HEAVY_REQUESTS = 8

/** Events in publish requests in progress at once from which ingest is a bulk load. */
const HEAVY_EVENTS = 500

/** How long ingest counts as heavy after it last was: producers send their next request. */
export const HEAVY_HOLD_MS = 100

/**
 * The publishing in progress in this process, which its dispatcher (`npm start`) makes room for: while
 * producers queue up or a bulk load is in progress, deliveries claim in small steps, so a publish does
 * not wait behind a backlog's deliveries for the thread and for Postgres. A steady trickle of
 * publishes (a few requests at a time) leaves deliveries at full speed.
 */
export class IngestLoad extends Effect.Service<IngestLoad>()("@signal/store/IngestLoad", {
  effect: Effect.map(Effect.clock, (clock) => {
    let requests = 0
    let events = 0
    let heavyEndedAt = Number.NEGATIVE_INFINITY
    const heavyNow = () => requests >= HEAVY_REQUESTS || events >= HEAVY_EVENTS
    return {
      /** A publish of `count` events started. */
      begin: (count: number) => {
        requests++
        events += count
      },
      /** A publish of `count` events ended, whichever way. */
      end: (count: number) => {
        // The hold runs from when heavy ingest ended, not from when it began: a bulk request that
        // takes longer than the hold still leaves no gap before its producer's next one.
        if (heavyNow()) heavyEndedAt = clock.unsafeCurrentTimeMillis()
        requests--
        events -= count
      },
      /** Whether deliveries should make room for ingest now. */
      heavy: () => heavyNow() || clock.unsafeCurrentTimeMillis() - heavyEndedAt < HEAVY_HOLD_MS
    } as const
  })
}) {}
