import { Effect } from "effect"
import { setFlagsFromString } from "node:v8"

const flag = "--heap-growing-percent"

/**
 * By default V8 lets the old generation grow to up to four times what survived the last full
 * collection before it collects again. A Signal process keeps ~60 MB alive and promotes delivery
 * state that dies soon after, so that factor held ~300 MB of garbage as resident memory. Doubling at
 * most keeps a process under 300 MiB through a 20,000-event run at the same CPU per delivery
 * (bench/RESULTS.md). A `--heap-growing-percent` given to `node` takes precedence.
 */
export const limitHeapGrowth = Effect.sync(() => {
  if (!process.execArgv.some((arg) => arg.replaceAll("_", "-").startsWith(flag))) setFlagsFromString(`${flag}=100`)
})
