import { useState } from "preact/hooks"
import { useAction } from "../action"
import type { TenantApi } from "../api"
import { Badge, ErrorText, Live, Loading, PageHeader, Stat } from "../components"
import { count, dateTime, ms, percent } from "../format"
import { usePoll } from "../poll"
import { href } from "../route"
import type { Analytics, Destination, Intent, Page } from "../types"
import { takeSecret } from "./secrets"

const DAY = 86_400_000

/** Shows a secret once, with a copy button; it is gone when the user leaves the page. */
const SecretOnce = (props: { readonly secret: string }) => {
  const [copied, setCopied] = useState(false)
  return (
    <div class="secret" role="status">
      <p>
        <strong>Signing secret</strong> — shown only now; copy it to your receiver.
      </p>
      <div class="copy-row">
        <code id="signing-secret">{props.secret}</code>
        <button
          type="button"
          onClick={() => navigator.clipboard?.writeText(props.secret).then(() => setCopied(true), () => setCopied(false))}
        >
          {copied ? "Copied" : "Copy"}
        </button>
      </div>
    </div>
  )
}

export const DestinationPage = (props: { readonly api: TenantApi; readonly destinationId: string }) => {
  const path = `/destinations/${props.destinationId}`
  const [shown, setShown] = useState(() => takeSecret(props.destinationId))
  const data = usePoll(`destination:${props.destinationId}`, async (signal) => {
    const [destination, analytics, intents] = await Promise.all([
      props.api.get<Destination>(path, undefined, signal),
      props.api.get<Analytics>(`${path}/analytics`, { from: new Date(Date.now() - DAY).toISOString() }, signal),
      props.api.get<Page<Intent>>("/intents", { destinationIds: [props.destinationId], limit: 10 }, signal)
    ])
    return { destination, analytics, intents }
  }, 3000)

  const action = useAction(data.refresh)
  const busy = action.running !== undefined

  if (data.data === undefined) return data.error === undefined ? <Loading /> : <ErrorText error={data.error} />
  const { analytics: a, destination: d, intents } = data.data
  return (
    <section>
      <PageHeader title={d.name}>
        <Live polled={data} />
        <a class="button secondary" href={href("destinations", d.id, "edit")}>Edit</a>
        <button
          type="button"
          class="secondary"
          disabled={busy}
          onClick={() => action.run("toggle", () => props.api.patch<Destination>(path, { active: d.status !== "active" }))}
        >
          {d.status === "active" ? "Disable" : "Enable"}
        </button>
        <button
          type="button"
          disabled={busy}
          onClick={() =>
            action.run("rotate", () => props.api.post<Destination>(`${path}/rotate-secret`), (rotated) => setShown(rotated.webhook.signingSecret))}
        >
          Rotate secret
        </button>
      </PageHeader>
      <ErrorText error={action.failure} />
      {shown && <SecretOnce secret={shown} />}
      <dl class="facts">
        <dt>ID</dt><dd class="mono">{d.id}</dd>
        <dt>URL</dt><dd class="mono clip">{d.variant.method} {d.variant.url}</dd>
        <dt>Status</dt><dd><Badge value={d.status} />{d.disabledReason ? ` ${d.disabledReason}` : ""}</dd>
        <dt>Circuit</dt>
        <dd><Badge value={d.circuit.state} /> {d.circuit.consecutiveFailures} consecutive failures</dd>
        <dt>Event types</dt><dd>{d.eventTypes === null ? "all" : d.eventTypes.join(", ")}</dd>
        <dt>Topics</dt><dd>{d.topics.length === 0 ? "any" : d.topics.join(", ")}</dd>
        <dt>Retries</dt><dd>{d.retry.type}, {d.retry.delaySeconds} s, at most {d.retry.maxAttempts} attempts</dd>
        <dt>Limits</dt>
        <dd>timeout {d.timeoutSeconds} s, {d.maxConcurrency} at a time{d.rateLimitPerSecond === null ? "" : `, ${d.rateLimitPerSecond}/s`}</dd>
      </dl>
      <h2>Last 24 hours</h2>
      <dl class="stats" aria-label="Destination figures">
        <Stat label="Deliveries" value={count(a.deliveries)} />
        <Stat label="Success rate" value={percent(a.successRate)} />
        <Stat label="Latency p50" value={ms(a.latencyMs.p50)} />
        <Stat label="Latency p95" value={ms(a.latencyMs.p95)} />
        <Stat label="Queue depth" value={count(a.queue.depth)} />
        <Stat label="Failed" value={count(a.failed)} tone={a.failed > 0 ? "bad" : undefined} />
      </dl>
      <h2>Recent deliveries</h2>
      {intents.items.length === 0 ? <p class="muted">None yet.</p> : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr><th scope="col">Event</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col">Last error</th><th scope="col">Created</th></tr>
            </thead>
            <tbody>
              {intents.items.map((i) => (
                <tr key={i.id}>
                  <td><a href={href("events", i.eventId)}>{i.event.type}</a></td>
                  <td><Badge value={i.status} /></td>
                  <td>{i.attemptCount}</td>
                  <td>{i.error?.code ?? "—"}</td>
                  <td>{dateTime(i.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  )
}
