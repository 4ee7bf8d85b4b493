#!/usr/bin/env node
// The `signal` command: one bundled file (`npm run build` makes it), so that it starts fast. Next
// to a Signal server install it also offers `start`, `migrate` and `cluster`, which load the
// server; on its own it is the client-only command line.
import { existsSync } from "node:fs"

const server = new URL("../../server/dist/signal.mjs", import.meta.url)
const client = new URL("../dist/signal.mjs", import.meta.url)
const entry = [server, client].find((url) => existsSync(url))
if (entry === undefined) {
  process.stderr.write("signal is not built yet: run `npm run build` (or `node scripts/bundle.mjs`) first\n")
  process.exit(1)
}
await import(entry.href)
