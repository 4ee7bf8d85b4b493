import type { SqlError } from "@effect/sql/SqlError"
import { type Duration, Schedule } from "effect"

/** The SQLSTATE Postgres answered with, when the failure came from the server. */
export const sqlState = (error: SqlError): string | undefined => {
  const code = (error.cause as { code?: unknown } | undefined)?.code
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : undefined
}

/**
 * Failures worth trying again: no SQLSTATE at all (the connection could not be made or was lost),
 * connection exceptions (class 08), insufficient resources (class 53: too many connections), an
 * operator or crash shutdown (57P01–57P03), serialization failures and deadlocks. Anything else is
 * the statement's own fault and fails the same way every time.
 */
export const isTransient = (error: SqlError): boolean => {
  const state = sqlState(error)
  return state === undefined || state.startsWith("08") || state.startsWith("53") ||
    state === "57P01" || state === "57P02" || state === "57P03" || state === "40001" || state === "40P01"
}

/** Waiting for a database that is away: quickly at first, then every 5 seconds, for at most `limit`. */
export const whileAway = (limit: Duration.DurationInput) =>
  Schedule.exponential("100 millis").pipe(Schedule.union(Schedule.spaced("5 seconds")), Schedule.upTo(limit))

/** Text Postgres cannot hold in `text` or `jsonb`: NUL characters become U+FFFD, a visible marker. */
export const storableText = (text: string): string => text.includes("\u0000") ? text.replaceAll("\u0000", "\uFFFD") : text
