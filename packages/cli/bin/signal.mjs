#!/usr/bin/env node
// The `signal` command. Next to a Signal server install it also offers `start`, `migrate` and
// `cluster`; on its own it is the client-only command line.
//
// An install without development dependencies (production, the image) runs the build in dist/
// (`npm run build`); a development checkout, where tsx is installed, runs the TypeScript sources
// so that edits take effect without a build.
import { existsSync } from "node:fs"

const tsx = await import("tsx/esm/api").catch((error) => {
  if (error?.code === "ERR_MODULE_NOT_FOUND") return undefined
  throw error
})
if (tsx === undefined) {
  const server = new URL("../../server/dist/main.js", import.meta.url)
  await import(existsSync(server) ? server.href : new URL("../dist/main.js", import.meta.url).href)
} else {
  tsx.register()
  try {
    await import("@signal/server/main")
  } catch (error) {
    if (error?.code !== "ERR_MODULE_NOT_FOUND" || !String(error.message).includes("@signal/server")) throw error
    await import("../src/main.ts")
  }
}
