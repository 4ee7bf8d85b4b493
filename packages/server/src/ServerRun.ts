/**
 * What `signal start`, `migrate` and `cluster` run: the whole server. Loaded only by those
 * commands (see `ServerCommands.ts`), so the rest of the command line starts without it.
 */
import * as Database from "@signal/store/Database"
import { Config, Effect, Layer } from "effect"
import { limitHeapGrowth } from "./HeapGrowth"
import { runLocalCluster } from "./LocalCluster"
import { ServerLive } from "./Server"

/**
 * However a shutdown goes (a database that is away, a finalizer that waits on it), the process is
 * gone this long after SIGTERM or SIGINT: what it could not write is recovered by lease expiry.
 */
const exitWithinAfterSignal = (timeoutMs: number) =>
  Effect.sync(() => {
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      process.once(signal, () => {
        setTimeout(() => {
          process.stderr.write(`shutdown took longer than ${timeoutMs} ms; exiting now\n`)
          process.exit(1)
        }, timeoutMs).unref()
      })
    }
  })

export const start = Effect.gen(function*() {
  yield* limitHeapGrowth
  yield* exitWithinAfterSignal(yield* Config.integer("SIGNAL_SHUTDOWN_TIMEOUT_MS").pipe(Config.withDefault(8_000)))
  yield* Layer.launch(ServerLive)
})

export const migrate = Effect.logInfo("migrations applied").pipe(Effect.provide(Database.layer({ ingestPool: false })))

export { runLocalCluster }
