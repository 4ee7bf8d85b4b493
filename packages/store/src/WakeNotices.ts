import type { SqlError } from "@effect/sql/SqlError"
import type { DestinationId } from "@signal/domain/Ids"
import { Effect } from "effect"
import * as Pg from "pg"
import * as Database from "./Database"
import { leaseCommit } from "./DeliveryStatements"
import * as PreparedStatement from "./PreparedStatement"

/**
 * The Postgres channel that tells dispatchers which destinations have work: each notice is their ids,
 * space-separated. Every dispatcher listens and wakes those whose shards it owns.
 */
export const WAKE_CHANNEL = "signal_wakes"

/** The `application_name` of each dispatcher's listening connection (`pg_stat_activity` shows it so). */
export const LISTENER_NAME = "signal-wakes"

/** A notice's size at most: Postgres refuses payloads of 8,000 bytes and more. */
const MAX_NOTICE_BYTES = 7_900

/** `ids` as notices of at most `MAX_NOTICE_BYTES` (ids are ASCII: their length is their size). */
export const noticesOf = (ids: Iterable<DestinationId>): Array<string> => {
  const notices: Array<string> = []
  let notice = ""
  for (const id of ids) {
    if (notice.length > 0 && notice.length + 1 + id.length > MAX_NOTICE_BYTES) {
      notices.push(notice)
      notice = ""
    }
    notice = notice.length === 0 ? id : `${notice} ${id}`
  }
  if (notice.length > 0) notices.push(notice)
  return notices
}

/** The destinations a notice names. */
export const destinationsOf = (notice: string): ReadonlyArray<DestinationId> =>
  notice.split(" ") as Array<DestinationId>

/**
 * Sends the notices, comma-separated in $1 (ids hold no comma), in one statement. Postgres delivers them
 * when it commits, which does not wait for its WAL to reach disk (`leaseCommit`): a notice holds nothing
 * to keep, and a lost one costs latency only.
 */
const notifyStatement = PreparedStatement.make<unknown>(
  "signal_wake_notify",
  `WITH ${leaseCommit}
  SELECT pg_notify('${WAKE_CHANNEL}', notice) FROM lease_commit, unnest(string_to_array($1, ',')) AS notice`
)

/** Tells every dispatcher, through Postgres, that work may be due at these destinations. */
export class WakeNotices extends Effect.Service<WakeNotices>()("@signal/store/WakeNotices", {
  effect: Effect.gen(function*() {
    const pool = yield* Database.Pool
    const notify = (ids: Iterable<DestinationId>): Effect.Effect<void, SqlError> => {
      const notices = noticesOf(ids)
      return notices.length === 0 ? Effect.void : Effect.asVoid(notifyStatement.run(pool, [notices.join(",")]))
    }
    return { notify } as const
  })
}) {}

/**
 * Listens on a connection of its own and calls `heard` with the destinations of each notice; fails
 * once that connection is lost, never succeeds. Interrupted, it closes the connection.
 */
export const listen = (
  heard: (destinations: ReadonlyArray<DestinationId>) => void
): Effect.Effect<never, Error, Database.Pool> =>
  Effect.flatMap(Database.Pool, (pool) =>
    Effect.async<never, Error>((resume) => {
      const client = new Pg.Client({ ...pool.options, application_name: LISTENER_NAME })
      let ended = false
      const lost = (error: Error) => {
        if (ended) return
        ended = true
        client.end().catch(() => {})
        resume(Effect.fail(error))
      }
      client.on("notification", (message) => {
        if (message.payload !== undefined) heard(destinationsOf(message.payload))
      })
      client.on("error", lost)
      client.on("end", () => lost(new Error("connection ended")))
      client.connect().then(() => client.query(`LISTEN ${WAKE_CHANNEL}`)).catch(lost)
      return Effect.promise(() => {
        ended = true
        return client.end().catch(() => {})
      })
    }))
