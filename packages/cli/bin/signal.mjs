#!/usr/bin/env node
// Runs the TypeScript sources directly. Next to a Signal server install, `signal` also offers
// `start`, `migrate` and `cluster`; on its own it is the client-only command line.
import { register } from "tsx/esm/api"

register()
try {
  await import("@signal/server/main")
} catch (error) {
  if (error?.code !== "ERR_MODULE_NOT_FOUND" || !String(error.message).includes("@signal/server")) throw error
  await import("../src/main.ts")
}
