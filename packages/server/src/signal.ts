/**
 * The `signal` binary's entry, bundled into one file (`dist/signal.mjs`) so that it starts fast.
 * `start`, `migrate` and `cluster` run the server as built in `dist/` (its modules, its
 * dependencies) instead: everything else is the command line alone.
 */
import { isServerCommand } from "./ServerCommands"

if (isServerCommand(process.argv.slice(2))) {
  // not bundled: the unbundled entry sits next to the bundle
  await import(/* @vite-ignore */ new URL("./main.js", import.meta.url).href)
} else {
  await import("./main")
}
