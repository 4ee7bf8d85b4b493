import type { SqlError } from "@effect/sql/SqlError"
import type { DestinationId } from "@signal/domain/Ids"
import { type Claim, type ClaimRequest, DeliveryQueue } from "@signal/store/DeliveryQueue"
import { IngestLoad } from "@signal/store/IngestLoad"
import { Duration, Effect, Exit, FiberSet } from "effect"

/**
 * Claim statements in flight at once: while one runs, the next requests gather into one. One beat two
 * here both in deliveries/s and in open-loop latency: fewer, larger statements contend less in Postgres.
 */
const MAX_IN_FLIGHT = 1

/** Destinations one statement claims for at most. */
const MAX_BATCH = 64

/**
 * While ingest in this process is heavy (`IngestLoad`): destinations per statement, intents per
 * destination, and the pause after each statement. Deliveries go on at about a quarter of their speed
 * and publishes keep about two thirds of theirs; a 20 ms pause left them half, some runs less, for
 * no faster deliveries (`bench/RESULTS.md`).
 */
const YIELD_BATCH = 8
const YIELD_LIMIT = 4
const YIELD_PAUSE = Duration.millis(40)

interface Waiting {
  readonly request: ClaimRequest
  readonly resume: (effect: Effect.Effect<Claim, SqlError>) => void
}

/**
 * The claims of every drain in the process, unordered destinations' gathered into one statement
 * while another is in flight (as group commit gathers publishes): a burst of published events wakes
 * many destinations at once, and their claims cost Postgres one statement instead of one each.
 * A claim that finds nothing in flight goes out at once. Ordered destinations claim alone.
 */
export class ClaimBatcher extends Effect.Service<ClaimBatcher>()("@signal/dispatcher/ClaimBatcher", {
  scoped: Effect.gen(function*() {
    const queue = yield* DeliveryQueue
    const ingest = yield* IngestLoad
    const runFork = yield* FiberSet.makeRuntime<never>()
    let waiting: Array<Waiting> = []
    let inFlight = 0

    const send = (batch: ReadonlyArray<Waiting>, yielding: boolean) => {
      inFlight++
      const requests = batch.map(({ request }) =>
        yielding && request.limit > YIELD_LIMIT ? { ...request, limit: YIELD_LIMIT } : request
      )
      runFork(queue.claimMany(requests).pipe(
        // Interrupted (the process stops) or failed, every claim in it hears so: none waits forever.
        Effect.onExit((exit) =>
          Effect.sync(() => {
            for (const item of batch) {
              item.resume(
                Exit.isSuccess(exit) ? Effect.succeed(exit.value.get(item.request.destinationId)!) : Exit.failCause(exit.cause)
              )
            }
          })
        ),
        Effect.zipRight(yielding ? Effect.sleep(YIELD_PAUSE) : Effect.void),
        Effect.ensuring(Effect.sync(() => {
          inFlight--
          pump()
        }))
      ))
    }

    const pump = () => {
      while (inFlight < MAX_IN_FLIGHT && waiting.length > 0) {
        const yielding = ingest.heavy()
        const width = yielding ? YIELD_BATCH : MAX_BATCH
        // A destination claims once per statement (a second request waits for the next one).
        const batch: Array<Waiting> = []
        const rest: Array<Waiting> = []
        const seen = new Set<DestinationId>()
        for (const item of waiting) {
          if (batch.length < width && !seen.has(item.request.destinationId)) {
            seen.add(item.request.destinationId)
            batch.push(item)
          } else rest.push(item)
        }
        waiting = rest
        send(batch, yielding)
      }
    }

    /** Leases due intents for one destination, in the next statement that goes out. */
    const claim = (request: ClaimRequest): Effect.Effect<Claim, SqlError> =>
      request.ordered ? queue.claim(request) : Effect.async<Claim, SqlError>((resume) => {
        waiting.push({ request, resume })
        pump()
      })

    return { claim } as const
  })
}) {}
