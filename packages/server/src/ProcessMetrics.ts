import { Effect, Metric } from "effect"
import { monitorEventLoopDelay } from "node:perf_hooks"

/**
 * The event loop is probed with a timer this many ms apart; how late it fires is the loop's lag. Every
 * probe wakes an idle process: at 10 ms apart that alone cost ~0.8 % of a core on a 2-core machine,
 * a third of what an idle `signal start` costs; 50 ms apart still sees any hold-up longer than that.
 */
const PROBE_MS = 50

const cpuSeconds = Metric.counter("process_cpu_seconds_total", {
  description: "CPU time (user and system) this process used since it started, in seconds",
  incremental: true
})

const residentMemory = Metric.gauge("process_resident_memory_bytes", {
  description: "Resident memory of this process, in bytes"
})

const heapUsed = Metric.gauge("nodejs_heap_size_used_bytes", {
  description: "V8 heap this process uses, in bytes"
})

const lag = (name: string, what: string) =>
  Metric.gauge(`nodejs_eventloop_lag_${name}_seconds`, {
    description: `How late this process's event loop ran work due, ${what} since the previous sample, in seconds`
  })

const eventLoopLagP50 = lag("p50", "the median")
const eventLoopLagP99 = lag("p99", "the 99th percentile")
const eventLoopLagMax = lag("max", "the longest")

const noTags: ReadonlyArray<never> = []

/**
 * What this Node process costs the machine: CPU, memory and event-loop lag. A process runs its API
 * and its deliveries on one thread, so a lagging loop is where publishes and deliveries wait.
 * `sample` reads them all at once (the lag over the time since the previous sample).
 */
export class ProcessMetrics extends Effect.Service<ProcessMetrics>()("@signal/server/ProcessMetrics", {
  scoped: Effect.gen(function*() {
    const delays = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const histogram = monitorEventLoopDelay({ resolution: PROBE_MS })
        histogram.enable()
        return histogram
      }),
      (histogram) => Effect.sync(() => histogram.disable())
    )
    // The histogram holds the probe's whole interval (nanoseconds); beyond PROBE_MS it was late.
    const lateness = (nanoseconds: number) => Math.max(0, nanoseconds / 1e9 - PROBE_MS / 1000)

    const sample = Effect.sync(() => {
      const { system, user } = process.cpuUsage()
      // Brought up to the process's total, not incremented by a delta of its own: two samplers in
      // one process (servers started by tests) never count the same time twice.
      cpuSeconds.unsafeUpdate((user + system) / 1e6 - cpuSeconds.unsafeValue(noTags).count, noTags)
      const memory = process.memoryUsage()
      residentMemory.unsafeUpdate(memory.rss, noTags)
      heapUsed.unsafeUpdate(memory.heapUsed, noTags)
      eventLoopLagP50.unsafeUpdate(lateness(delays.percentile(50)), noTags)
      eventLoopLagP99.unsafeUpdate(lateness(delays.percentile(99)), noTags)
      eventLoopLagMax.unsafeUpdate(lateness(delays.max), noTags)
      delays.reset()
    })

    return { sample } as const
  })
}) {}
