import { defineConfig } from "vitest/config"

/** Fault tests run real clusters of processes: one file at a time, after the rest of the suite. */
export default defineConfig({
  test: {
    include: ["test/fault/**/*.test.ts"],
    globalSetup: ["./test/setup/postgres.ts"],
    testTimeout: 300_000,
    hookTimeout: 120_000,
    pool: "forks",
    fileParallelism: false
  }
})
