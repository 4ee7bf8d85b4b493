import { Schedule } from "effect"

/** While the database is away the engine waits and retries (quickly at first) for up to two minutes. */
export const retryDatabase = Schedule.exponential("100 millis").pipe(
  Schedule.union(Schedule.spaced("5 seconds")),
  Schedule.upTo("2 minutes")
)
