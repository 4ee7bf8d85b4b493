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

/**
 * The Node options a gateway process runs with (Compose, Kubernetes, `signal cluster`). A publish
 * allocates ~350 KB that dies within its request; with 64 in flight, V8's default 16 MB semi-space
 * fills every ~45 publishes and each scavenge copies what the requests in flight hold. Twice the
 * room halves the scavenges: 10–15 % less CPU per publish, for 30–45 MiB more RSS
 * (bench/RESULTS.md). V8 sizes its young generation once, at start: hence `NODE_OPTIONS`.
 */
export const GATEWAY_NODE_OPTIONS = "--max-semi-space-size=32"
