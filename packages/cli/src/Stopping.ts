/**
 * How a command ends when it is stopped (Ctrl-C, SIGTERM). A request cut short is not a success: exit
 * 130, so `signal … && next-step` does not carry on. A command that runs until stopped (`events tail`,
 * `listen`, the server's `start`) says so, and then being stopped is its clean end: exit 0.
 */
import { Effect } from "effect"

let stoppingIsItsEnd = false

/** Marks the command running as one that runs until stopped. */
export const runsUntilStopped: Effect.Effect<void> = Effect.sync(() => {
  stoppingIsItsEnd = true
})

/** The exit code of a command that was stopped. */
export const stoppedExitCode = (): number => (stoppingIsItsEnd ? 0 : 130)
