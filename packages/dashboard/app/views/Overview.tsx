import { useState } from "preact/hooks"
import type { TenantApi } from "../api"
import { Badge, ErrorText, Live, Loading, PageHeader, Stat } from "../components"
import { count, ms, percent } from "../format"
import { usePoll } from "../poll"
import { href } from "../route"
import type { Analytics, DestinationListItem, Page } from "../types"
import { type Bucket, PerMinuteChart } from "./Chart"

const MINUTE = 60_000
const CHART_MINUTES = 30
const windows = { "1h": 3_600_000, "24h": 86_400_000, "7d": 7 * 86_400_000 } as const
type Range = keyof typeof windows

/**
 * Per-minute figures come from the analytics API one minute window at a time; a minute that has
 * ended does not change any more, so it is asked for once after it ended and then kept.
 */
const finished = new Map<string, Bucket>()

const loadBuckets = async (api: TenantApi, tenantId: string, signal: AbortSignal): Promise<Array<Bucket>> => {
  const now = Date.now()
  const current = Math.floor(now / MINUTE) * MINUTE
  const starts = Array.from({ length: CHART_MINUTES }, (_, i) => current - (CHART_MINUTES - 1 - i) * MINUTE)
  const missing = starts.filter((start) => !finished.has(`${tenantId}:${start}`))
  const fetched = new Map<number, Bucket>()
  // A few at a time: the first load asks for up to 30 windows.
  for (let i = 0; i < missing.length; i += 6) {
    await Promise.all(missing.slice(i, i + 6).map(async (start) => {
      const a = await api.get<Analytics>(
        "/analytics",
        { from: new Date(start).toISOString(), to: new Date(start + MINUTE).toISOString() },
        signal
      )
      const bucket = { start, events: a.events, deliveries: a.deliveries }
      fetched.set(start, bucket)
      if (start + MINUTE <= now) finished.set(`${tenantId}:${start}`, bucket)
    }))
  }
  return starts.map((start) => finished.get(`${tenantId}:${start}`) ?? fetched.get(start)!)
}

/** Destinations an operator should look at: circuit not closed, recent consecutive failures, or disabled by Signal. */
const isFailing = (d: DestinationListItem) =>
  d.circuit.state !== "closed" || d.circuit.consecutiveFailures > 0 || d.disabledReason !== null

export const Overview = (props: { readonly api: TenantApi; readonly tenantId: string }) => {
  const [range, setRange] = useState<Range>("24h")
  const stats = usePoll(`overview:${props.tenantId}:${range}`, (signal) =>
    props.api.get<Analytics>(
      "/analytics",
      { from: new Date(Date.now() - windows[range]).toISOString() },
      signal
    ), 3000)
  const chart = usePoll(`chart:${props.tenantId}`, (signal) => loadBuckets(props.api, props.tenantId, signal), 5000)
  const failing = usePoll(`failing:${props.tenantId}`, (signal) =>
    props.api.get<Page<DestinationListItem>>("/destinations", { limit: 200 }, signal), 5000)
  const a = stats.data

  return (
    <section aria-labelledby="overview-title">
      <PageHeader title="Overview">
        <label class="inline">
          Window{" "}
          <select value={range} onChange={(e) => setRange((e.currentTarget as HTMLSelectElement).value as Range)}>
            <option value="1h">Last hour</option>
            <option value="24h">Last 24 hours</option>
            <option value="7d">Last 7 days</option>
          </select>
        </label>
        <Live polled={stats} />
      </PageHeader>
      <ErrorText error={stats.error} />
      {a === undefined ? <Loading /> : (
        <dl class="stats" aria-label="Delivery figures">
          <Stat label="Events" value={count(a.events)} />
          <Stat label="Deliveries" value={count(a.deliveries)} />
          <Stat label="Success rate" value={percent(a.successRate)} tone={a.successRate !== null && a.successRate < 0.95 ? "bad" : undefined} />
          <Stat label="Latency p50" value={ms(a.latencyMs.p50)} />
          <Stat label="Latency p95" value={ms(a.latencyMs.p95)} />
          <Stat label="Queue depth" value={count(a.queue.depth)} />
          <Stat label="Retrying" value={count(a.queue.retrying)} tone={a.queue.retrying > 0 ? "bad" : undefined} />
          <Stat label="Failed" value={count(a.failed)} tone={a.failed > 0 ? "bad" : undefined} />
        </dl>
      )}
      <h2>Traffic</h2>
      <ErrorText error={chart.error} />
      {chart.data === undefined ? <Loading /> : <PerMinuteChart buckets={chart.data} />}
      <h2>Failing destinations</h2>
      <ErrorText error={failing.error} />
      {failing.data === undefined ? <Loading /> : (() => {
        const rows = failing.data.items.filter(isFailing)
        return rows.length === 0 ? <p class="muted">None: every destination's circuit is closed.</p> : (
          <div class="table-wrap">
            <table>
              <caption class="sr-only">Destinations with failures</caption>
              <thead>
                <tr><th scope="col">Destination</th><th scope="col">Circuit</th><th scope="col">Consecutive failures</th><th scope="col">Status</th></tr>
              </thead>
              <tbody>
                {rows.map((d) => (
                  <tr key={d.id}>
                    <td><a href={href("destinations", d.id)}>{d.name}</a></td>
                    <td><Badge value={d.circuit.state} /></td>
                    <td>{d.circuit.consecutiveFailures}</td>
                    <td><Badge value={d.status} />{d.disabledReason ? ` ${d.disabledReason}` : ""}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      })()}
    </section>
  )
}
