/** `signal events tail`: follow delivery attempts as they happen. */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import type { SignalClientError } from "@signal/client/SignalClientError"
import { SignalJsonClient } from "@signal/client/SignalJsonClient"
import type { DeliveryAttempt, Page } from "@signal/client/Types"
import { Console, Duration, Effect, Option, Schedule } from "effect"
import { UsageError } from "./CliError"
import * as Flags from "./Flags"
import { outputLine, time } from "./Output"
import { globalOptions, requireTenant, withSettings } from "./Settings"
import { runsUntilStopped } from "./Stopping"

const PAGE = 100
const MAX_PAGES_PER_POLL = 10
const REMEMBERED = 20_000

/** One delivery per line: when, which attempt of what to where, and how it went. */
export const attemptLine = (a: DeliveryAttempt): string =>
  [
    time(a.completedAt),
    a.id,
    `${a.eventId} -> ${a.destinationId}`,
    `#${a.attemptNumber}`,
    a.status.padEnd(9),
    a.response === null ? "HTTP -  " : `HTTP ${a.response.statusCode}`,
    `${a.durationMs}ms`,
    a.error === null ? "" : `${a.error.code}: ${a.error.message}`
  ].join("  ").trimEnd()

/** Errors worth waiting out while following (the server restarting, a blip); others end the tail. */
const transient = (error: SignalClientError) => error.status === 0 || error.status === 429 || error.status >= 502

export const tail = Command.make(
  "tail",
  {
    ...globalOptions,
    events: Flags.repeated("event", "Only attempts for these events"),
    destinations: Flags.repeated("destination", "Only attempts to these destinations"),
    status: Flags.repeatedChoice("status", ["succeeded", "failed"] as const, "Only attempts with this outcome"),
    interval: Options.float("interval").pipe(
      Options.withDescription("Seconds between polls (default 1)"),
      Options.withDefault(1)
    ),
    maxSeconds: Flags.optionalInteger("max-seconds", "Stop by itself after this many seconds")
  },
  (flags) =>
    Effect.gen(function*() {
      if (flags.interval <= 0) return yield* new UsageError("invalid_option", "--interval must be positive")
      if (Option.isSome(flags.maxSeconds) && flags.maxSeconds.value <= 0) {
        return yield* new UsageError("invalid_option", "--max-seconds must be positive")
      }
      const api = yield* SignalJsonClient
      const tenantId = yield* requireTenant
      const filters = { tenantId, eventIds: flags.events, destinationIds: flags.destinations, status: flags.status }

      const seen = new Set<string>()
      const remember = (id: string) => {
        seen.add(id)
        if (seen.size > REMEMBERED) {
          const oldest = seen.values().next()
          if (oldest.done !== true) seen.delete(oldest.value)
        }
      }

      // Rows may become visible slightly out of order, so a whole page is checked for unseen ids
      // rather than stopping at the first known one; older pages are read only while all are new.
      const poll = Effect.gen(function*() {
        const fresh: Array<DeliveryAttempt> = []
        let cursor: string | undefined = undefined
        for (let n = 0; n < MAX_PAGES_PER_POLL; n++) {
          const page: Page<DeliveryAttempt> = yield* api.eventDeliveryAttempt.list({ ...filters, limit: PAGE, order: "desc", cursor })
          const unseen = page.items.filter((attempt) => !seen.has(attempt.id))
          fresh.push(...unseen)
          if (unseen.length < page.items.length || !page.hasMore || page.nextCursor === null) break
          cursor = page.nextCursor
        }
        return fresh.reverse()
      })

      yield* runsUntilStopped
      const initial = yield* api.eventDeliveryAttempt.list({ ...filters, limit: PAGE, order: "desc" })
      for (const attempt of initial.items) remember(attempt.id)
      yield* Console.error(
        `following deliveries of ${tenantId} every ${flags.interval}s${
          Option.match(flags.maxSeconds, { onNone: () => " (Ctrl-C to stop)", onSome: (s) => ` for ${s}s` })
        }`
      )

      const step = poll.pipe(
        Effect.flatMap((fresh) =>
          Effect.forEach(fresh, (attempt) => {
            remember(attempt.id)
            return outputLine(attempt, attemptLine)
          }, { discard: true })
        ),
        Effect.catchIf(transient, (error) => Console.error(`warning: ${error.code}: ${error.message} (retrying)`))
      )
      const follow = step.pipe(Effect.repeat(Schedule.spaced(Duration.seconds(flags.interval))), Effect.asVoid)

      yield* Option.match(flags.maxSeconds, {
        onNone: () => follow,
        onSome: (seconds) =>
          Effect.raceFirst(follow, Effect.sleep(Duration.seconds(seconds))).pipe(
            // one last look so deliveries made just before the deadline are not lost
            Effect.zipRight(step)
          )
      })
    }).pipe(withSettings(flags))
).pipe(Command.withDescription("Print delivery attempts live as they happen (polls the attempts list)"))
