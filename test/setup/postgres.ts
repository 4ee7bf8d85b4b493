import { startScratchPostgres } from "../support/postgres"

/** One Postgres for the whole run (embedded unless DATABASE_URL is set); each test file makes its own database. */
export default async function setup() {
  if (process.env.DATABASE_URL) {
    process.env.SIGNAL_TEST_DATABASE_URL = process.env.DATABASE_URL
    return
  }
  const postgres = await startScratchPostgres()
  process.env.SIGNAL_TEST_DATABASE_URL = postgres.url("postgres")
  return postgres.dispose
}
