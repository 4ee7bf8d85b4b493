import { DateTime, Schema } from "effect"

const EARLIEST = "0001-01-01T00:00:00Z"
const LATEST = "9999-12-31T23:59:59.999Z"
const earliestMs = Date.parse(EARLIEST)
const latestMs = Date.parse(LATEST)

/**
 * A time a request gives (a filter, a window's end): ISO 8601 in UTC, years 1 to 9999. Far-off years
 * parse as dates yet leave what Postgres and JavaScript can hold once a window is widened around them.
 */
export const ApiTime = Schema.DateTimeUtc.pipe(
  Schema.filter((time) => {
    const ms = DateTime.toEpochMillis(time)
    return (ms >= earliestMs && ms <= latestMs) || `must be between ${EARLIEST} and ${LATEST}`
  }, { jsonSchema: { type: "string", format: "date-time" } })
)
