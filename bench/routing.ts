/**
 * Routing cost against the number of destinations that do NOT match: a tenant with N destinations,
 * each subscribed to its own exact types or its own `svcN.*` pattern, five of them to `*.failed`,
 * and events that match one to six of them, whatever N. Compares Signal's indexed routing table with checking every
 * destination in turn (what routing did before wildcards), per event, at 100, 1,000 and 10,000
 * destinations. Pure CPU, in process.
 *
 *   npm run bench:routing -- [events=20000]
 */
import type { DestinationId, SenderId } from "@signal/domain/Ids"
import { matches, routingTable, type RoutingTarget } from "@signal/domain/Routing"

const [events = 20_000] = process.argv.slice(2).map(Number)
const sender = "snd_bench000000" as SenderId

const population = (n: number): Array<RoutingTarget> =>
  Array.from({ length: n }, (_, i) => ({
    id: `dst_bench${String(i).padStart(8, "0")}` as DestinationId,
    senderId: null,
    eventTypes: i < 5 ? ["*.failed"] : i % 2 === 0 ? [`svc${i}.*`] : [`svc${i}.created`, `svc${i}.updated`],
    topics: []
  }))

const time = (route: (event: { senderId: SenderId; type: string; topics: Array<string> }) => number, n: number) => {
  let routed = 0
  const started = performance.now()
  for (let e = 0; e < events; e++) {
    const i = (e * 7919) % n
    routed += route({ senderId: sender, type: e % 10 === 0 ? `svc${i}.failed` : `svc${i}.created`, topics: [] })
  }
  return { usPerEvent: ((performance.now() - started) * 1000) / events, routed }
}

for (const n of [100, 1_000, 10_000]) {
  const targets = population(n)
  const built = performance.now()
  const table = routingTable(targets)
  const buildMs = performance.now() - built
  // Warm both paths up before timing them.
  time((event) => table.route(event).length, n)
  time((event) => targets.filter((target) => matches(target, event)).length, n)
  const indexed = time((event) => table.route(event).length, n)
  const scan = time((event) => targets.filter((target) => matches(target, event)).length, n)
  if (indexed.routed !== scan.routed) throw new Error(`routes differ at ${n}: ${indexed.routed} vs ${scan.routed}`)
  console.log(
    `${String(n).padStart(6)} destinations: indexed ${indexed.usPerEvent.toFixed(2)} µs/event, ` +
      `scan ${scan.usPerEvent.toFixed(2)} µs/event, ${(indexed.routed / events).toFixed(2)} routes/event, ` +
      `table built in ${buildMs.toFixed(1)} ms`
  )
}
