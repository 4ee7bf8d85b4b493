import { useAction } from "../action"
import type { TenantApi } from "../api"
import { Badge, ErrorText, Live, Loading, PageHeader } from "../components"
import { dateTime, isSecretHeader, json, ms } from "../format"
import { usePoll } from "../poll"
import { href } from "../route"
import type { Attempt, DestinationListItem, Intent, Page, Settings, SignalEvent } from "../types"

const HIDDEN = "•••••• (hidden)"

const HeaderTable = (props: { readonly headers: Record<string, string>; readonly label: string }) => {
  const entries = Object.entries(props.headers)
  return entries.length === 0 ? <p class="muted">No headers.</p> : (
    <table class="headers">
      <caption class="sr-only">{props.label}</caption>
      <tbody>
        {entries.map(([name, value]) => (
          <tr key={name}><th scope="row" class="mono">{name}</th><td class="mono">{isSecretHeader(name) ? HIDDEN : value}</td></tr>
        ))}
      </tbody>
    </table>
  )
}

/**
 * The headers of a delivery request as Signal builds them (the event's, the destination's, then its
 * own). Signal stores the response of an attempt but not the request it sent, so this is rebuilt;
 * credentials and signatures are never shown.
 */
const requestHeaders = (event: SignalEvent, destination: DestinationListItem | undefined, intent: Intent): Record<string, string> => ({
  ...event.headers,
  ...destination?.headers,
  "content-type": "application/json",
  "webhook-id": intent.id,
  "webhook-timestamp": "(time of the attempt)",
  "webhook-signature": HIDDEN,
  "x-signal-signature": HIDDEN
})

const AttemptView = (props: { readonly attempt: Attempt; readonly request: Record<string, string> }) => {
  const a = props.attempt
  return (
    <li class={`attempt ${a.status}`} aria-label={`Attempt ${a.attemptNumber}`}>
      <div class="attempt-head">
        <strong>Attempt {a.attemptNumber}</strong>
        <Badge value={a.status} />
        <span>{a.response ? `HTTP ${a.response.statusCode}` : "no response"}</span>
        <span>{ms(a.durationMs)}</span>
        {a.error && <span class="mono">error: {a.error.code}</span>}
        <span class="muted">{dateTime(a.startedAt)}</span>
      </div>
      {a.error && <p class="muted">{a.error.message}</p>}
      <details>
        <summary>Request and response</summary>
        <h4>Request headers</h4>
        <p class="hint">
          Rebuilt from the event and the destination (Signal keeps each attempt's response, not the request it sent);
          credentials and signatures are hidden.
        </p>
        <HeaderTable headers={props.request} label="Request headers" />
        {a.response === null ? <p class="muted">No response was received.</p> : (
          <>
            <h4>Response headers</h4>
            <HeaderTable headers={a.response.headers} label="Response headers" />
            <h4>Response body</h4>
            <pre class="body">{a.response.body === "" ? "(empty)" : a.response.body}</pre>
          </>
        )}
      </details>
    </li>
  )
}

export const EventPage = (props: {
  readonly api: TenantApi
  readonly eventId: string
  readonly settings: Settings
  readonly tenantId: string
}) => {
  const data = usePoll(`event:${props.eventId}`, async (signal) => {
    const [event, intents, attempts, destinations] = await Promise.all([
      props.api.get<SignalEvent>(`/events/${props.eventId}`, undefined, signal),
      props.api.get<Page<Intent>>("/intents", { eventIds: [props.eventId], limit: 200, order: "asc" }, signal),
      props.api.get<Page<Attempt>>("/attempts", { eventIds: [props.eventId], limit: 200, order: "asc" }, signal),
      // Their custom headers, for the request headers (lists carry no signing secret).
      props.api.get<Page<DestinationListItem>>("/destinations", { limit: 200 }, signal)
    ])
    return { event, intents: intents.items, attempts: attempts.items, destinations: new Map(destinations.items.map((d) => [d.id, d])) }
  }, 2000)

  const action = useAction(data.refresh)
  const retry = (intent: Intent) => action.run(intent.id, () => props.api.post<Intent>(`/intents/${intent.id}/retry`))

  if (data.data === undefined) return data.error === undefined ? <Loading /> : <ErrorText error={data.error} />
  const { attempts, destinations, event, intents } = data.data
  const traceUrl = props.settings.traceUrlTemplate
    ?.replaceAll("{eventId}", encodeURIComponent(event.id))
    .replaceAll("{tenantId}", encodeURIComponent(props.tenantId))

  return (
    <section>
      <PageHeader title={event.type}>
        <Live polled={data} />
        {traceUrl && <a class="button secondary" href={traceUrl} target="_blank" rel="noreferrer">View trace</a>}
      </PageHeader>
      <ErrorText error={action.failure} />
      <dl class="facts">
        <dt>ID</dt><dd class="mono">{event.id}</dd>
        <dt>Status</dt><dd><Badge value={event.status} /></dd>
        <dt>Created</dt><dd>{dateTime(event.createdAt)}</dd>
        <dt>Sender</dt><dd class="mono">{event.senderId}</dd>
        <dt>Topics</dt><dd>{event.topics.join(", ") || "—"}</dd>
        {event.idempotencyKey && <><dt>Idempotency key</dt><dd class="mono">{event.idempotencyKey}</dd></>}
      </dl>
      <h2>Payload</h2>
      <pre class="body">{json(event.payload)}</pre>
      <h2>Deliveries</h2>
      {intents.length === 0 ? <p class="muted">No destination matched this event.</p> : intents.map((intent) => {
        const own = attempts.filter((a) => a.intentId === intent.id)
        const request = requestHeaders(event, destinations.get(intent.destinationId), intent)
        return (
          <article class="card intent" key={intent.id} aria-labelledby={`intent-${intent.id}`}>
            <div class="intent-head">
              <h3 id={`intent-${intent.id}`}>
                <a href={href("destinations", intent.destinationId)}>{intent.destination.name}</a>
              </h3>
              <Badge value={intent.status} />
              <span>{intent.attemptCount} {intent.attemptCount === 1 ? "attempt" : "attempts"}</span>
              {intent.nextAttemptAt && <span class="muted">next {dateTime(intent.nextAttemptAt)}</span>}
              <button
                type="button"
                disabled={action.running === intent.id || intent.status === "pending"}
                onClick={() => retry(intent)}
                aria-label={`Retry delivery to ${intent.destination.name}`}
              >
                Retry now
              </button>
            </div>
            <p class="mono muted clip">{intent.destination.webhook.url}</p>
            {intent.error && <p class="error-inline">Last error: {intent.error.code} — {intent.error.message}</p>}
            {own.length === 0 ? <p class="muted">No attempt yet.</p> : (
              <ol class="attempts">{own.map((a) => <AttemptView key={a.id} attempt={a} request={request} />)}</ol>
            )}
          </article>
        )
      })}
    </section>
  )
}
