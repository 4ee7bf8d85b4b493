import { useState } from "preact/hooks"
import type { Query, TenantApi } from "../api"
import { Badge, ErrorText, Live, Loading, PageHeader } from "../components"
import { dateTime } from "../format"
import { usePoll } from "../poll"
import { href } from "../route"
import type { Page, SignalEvent } from "../types"

const statuses = ["pending", "succeeded", "failed", "partially_failed"] as const

const isoOrUndefined = (local: string) => local === "" ? undefined : new Date(local).toISOString()

/**
 * Events, newest first, filtered and paged by cursor. The first page refreshes by itself, so new
 * events appear without reloading; later pages stay put while they are read.
 */
export const Events = (props: { readonly api: TenantApi }) => {
  const [filters, setFilters] = useState<Query>({})
  // Cursors of the pages before the current one, to go back.
  const [cursors, setCursors] = useState<ReadonlyArray<string>>([])
  const cursor = cursors[cursors.length - 1]
  const page = usePoll(
    `events:${JSON.stringify(filters)}:${cursor ?? ""}`,
    (signal) => props.api.get<Page<SignalEvent>>("/events", { ...filters, limit: 25, cursor }, signal),
    cursor === undefined ? 2000 : 0
  )

  const apply = (event: SubmitEvent) => {
    event.preventDefault()
    const form = new FormData(event.currentTarget as HTMLFormElement)
    const text = (name: string) => String(form.get(name) ?? "").trim()
    setCursors([])
    setFilters({
      eventTypes: text("type") === "" ? undefined : text("type").split(/[,\s]+/),
      topics: text("topic") === "" ? undefined : text("topic").split(/[,\s]+/),
      senderIds: text("sender") === "" ? undefined : text("sender").split(/[,\s]+/),
      status: text("status") === "" ? undefined : [text("status")],
      createdAfter: isoOrUndefined(text("from")),
      createdBefore: isoOrUndefined(text("to"))
    })
  }

  return (
    <section>
      <PageHeader title="Events">{cursor === undefined && <Live polled={page} />}</PageHeader>
      <form class="filters" onSubmit={apply} role="search" aria-label="Filter events">
        <label>Type<input name="type" placeholder="payment.created" /></label>
        <label>Topic<input name="topic" /></label>
        <label>Sender<input name="sender" placeholder="snd_…" /></label>
        <label>
          Status
          <select name="status">
            <option value="">Any</option>
            {statuses.map((s) => <option key={s} value={s}>{s.replace("_", " ")}</option>)}
          </select>
        </label>
        <label class="wide">From<input name="from" type="datetime-local" /></label>
        <label class="wide">To<input name="to" type="datetime-local" /></label>
        <button type="submit">Search</button>
      </form>
      <ErrorText error={page.error} />
      {page.data === undefined ? <Loading /> : page.data.items.length === 0 ? <p class="muted">No events match.</p> : (
        <div class="table-wrap">
          <table class="events">
            <thead>
              <tr>
                <th scope="col">Created</th><th scope="col">Type</th><th scope="col" class="narrow-hide">Topics</th>
                <th scope="col">Status</th><th scope="col" class="narrow-hide">Deliveries</th><th scope="col" class="narrow-hide">ID</th>
              </tr>
            </thead>
            <tbody>
              {page.data.items.map((e) => (
                <tr key={e.id}>
                  <td>{dateTime(e.createdAt)}</td>
                  <td><a href={href("events", e.id)}>{e.type}</a></td>
                  <td class="narrow-hide">{e.topics.join(", ") || "—"}</td>
                  <td><Badge value={e.status} /></td>
                  <td class="narrow-hide">{e.successCount} ok / {e.failureCount} failed of {e.destinationCount}</td>
                  <td class="mono narrow-hide">{e.id}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav class="pager" aria-label="Pages">
        <button type="button" class="secondary" disabled={cursors.length === 0} onClick={() => setCursors(cursors.slice(0, -1))}>
          Newer
        </button>
        <button
          type="button"
          class="secondary"
          disabled={!page.data?.hasMore}
          onClick={() => page.data?.nextCursor && setCursors([...cursors, page.data.nextCursor])}
        >
          Older
        </button>
      </nav>
    </section>
  )
}
