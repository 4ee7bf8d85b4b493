import type { TenantApi } from "../api"
import { Badge, ErrorText, Live, Loading, PageHeader } from "../components"
import { percent } from "../format"
import { usePoll } from "../poll"
import { href } from "../route"
import type { Analytics, DestinationListItem, Page } from "../types"

const DAY = 86_400_000

/** The tenant's destinations, each with its success rate over the last 24 hours. */
export const Destinations = (props: { readonly api: TenantApi }) => {
  const list = usePoll("destinations", async (signal) => {
    const page = await props.api.get<Page<DestinationListItem>>("/destinations", { limit: 100 }, signal)
    const from = new Date(Date.now() - DAY).toISOString()
    const rates = await Promise.all(
      page.items.map((d) => props.api.get<Analytics>(`/destinations/${d.id}/analytics`, { from }, signal))
    )
    return page.items.map((destination, i) => ({ destination, analytics: rates[i]! }))
  }, 5000)

  return (
    <section>
      <PageHeader title="Destinations">
        <Live polled={list} />
        <a class="button" href={href("destinations", "new")}>New destination</a>
      </PageHeader>
      <ErrorText error={list.error} />
      {list.data === undefined ? <Loading /> : list.data.length === 0 ? <p class="muted">No destinations yet.</p> : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th><th scope="col">URL</th><th scope="col">Status</th>
                <th scope="col">Circuit</th><th scope="col">Success (24 h)</th>
              </tr>
            </thead>
            <tbody>
              {list.data.map(({ analytics, destination: d }) => (
                <tr key={d.id}>
                  <td><a href={href("destinations", d.id)}>{d.name}</a></td>
                  <td class="mono clip">{d.variant.method} {d.variant.url}</td>
                  <td><Badge value={d.status} /></td>
                  <td><Badge value={d.circuit.state} /></td>
                  <td>{percent(analytics.successRate)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  )
}
