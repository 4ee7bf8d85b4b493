import * as Database from "@signal/store/Database"
import { destinationsOf, WAKE_CHANNEL } from "@signal/store/WakeNotices"
import { Duration, Effect, Layer, Schedule } from "effect"
import * as Pg from "pg"
import { DestinationDrains } from "./DestinationDrains"

/** Between attempts to listen again after the connection was lost: 100 ms, doubling, at most 5 s. */
const RELISTEN = Schedule.exponential(Duration.millis(100)).pipe(Schedule.union(Schedule.spaced(Duration.seconds(5))))

/**
 * Listens for the wake notices gateways send through Postgres (`WakeNotices`) on a connection of its
 * own, and wakes the destinations whose shards this process owns. The connection lost, it listens
 * again; notices sent meanwhile are lost, and the sweeper finds their work within its period.
 */
export const WakeListenerLive = Layer.scopedDiscard(Effect.gen(function*() {
  const pool = yield* Database.Pool
  const drains = yield* DestinationDrains

  // Fails once the connection is lost, succeeds never.
  const listen = Effect.async<never, Error>((resume) => {
    const client = new Pg.Client({ ...pool.options, application_name: "signal-wakes" })
    let ended = false
    const lost = (error: Error) => {
      if (ended) return
      ended = true
      client.end().catch(() => {})
      resume(Effect.fail(error))
    }
    client.on("notification", (message) => {
      if (message.payload !== undefined) Effect.runSync(drains.wakeOwned(destinationsOf(message.payload)))
    })
    client.on("error", lost)
    client.on("end", () => lost(new Error("connection ended")))
    client.connect().then(() => client.query(`LISTEN ${WAKE_CHANNEL}`)).catch(lost)
    return Effect.promise(() => {
      ended = true
      return client.end().catch(() => {})
    })
  })

  yield* Effect.forkScoped(listen.pipe(
    Effect.tapErrorCause((cause) => Effect.logWarning("wake notices not heard; listening again", cause)),
    Effect.retry(RELISTEN)
  ))
}))
