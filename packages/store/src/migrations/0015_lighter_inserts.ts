import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"

/**
 * Two index entries fewer on the insert path (`pg_walinspect` of a delivery run: each was one WAL
 * record or more per delivery). Attempts are found by event through their intents (`intents_event`,
 * then `attempts_intent`), not by an index of their own. The topics' index holds only events that
 * have topics: an event without any wrote a pending-list entry and a metapage update to it, for a
 * filter (`topics && …`) that never matches it.
 */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(`
    DROP INDEX attempts_event;
    DROP INDEX events_topics;
    CREATE INDEX events_topics ON events USING gin (topics) WHERE topics <> '{}';
  `)
})
