/**
 * What the OpenAPI document says about each operation beyond its shape: a summary, a description
 * and, for request bodies, an example. Keyed by operation id (`group.endpoint`, as the document
 * names them); an `OpenApi.Summary` or `OpenApi.Description` annotation on the endpoint itself
 * wins. `documentSpec` is the `OpenApi.Transform` the gateway applies to the generated document;
 * a test lints it (every operation with a summary, a description and an error schema).
 */

export interface OperationDocs {
  readonly summary: string
  readonly description: string
  /** An example request body. */
  readonly example?: unknown
}

const pageNote =
  "Pages hold `limit` items (1–200, default 20), newest first unless `order=asc`; pass the answer's `nextCursor` as `cursor` for the next page."

const destinationExample = {
  name: "Production webhook",
  description: "Payments service receiver",
  eventTypes: ["payment.created", "payment.failed"],
  topics: ["payments"],
  retry: { type: "exponential", delaySeconds: 60, maxAttempts: 5 },
  variant: { type: "http_endpoint", url: "https://receiver.example/webhooks", method: "POST" },
  headers: { "X-Team": "payments" },
  timeoutSeconds: 30,
  maxConcurrency: 10
}

const eventExample = {
  senderId: "snd_01jd8ya3k2m5q7r9t1v3w5x7z9",
  eventType: "payment.created",
  topics: ["payments"],
  payload: { paymentId: "pay_123", amount: 1000, currency: "USD" },
  idempotencyKey: "pay_123-created"
}

export const operationDocs: Readonly<Record<string, OperationDocs>> = {
  "tenant.upsert": {
    summary: "Create or rename a tenant",
    description:
      "Tenants are isolated workspaces: destinations, events and deliveries belong to one. Upserting an existing `identifier` updates its name and answers the same tenant.",
    example: { identifier: "acme", name: "Acme Inc." }
  },
  "tenant.get": { summary: "Get a tenant", description: "The tenant with this id; 404 if there is none." },
  "sender.upsert": {
    summary: "Create or rename a sender",
    description:
      "Senders name the sources of events (a service, an integration); destinations may receive only one sender's events. Upserting an existing `identifier` updates its name.",
    example: { identifier: "payment-service", name: "Payment service" }
  },
  "sender.get": { summary: "Get a sender", description: "The sender with this id; 404 if there is none." },
  "eventDestination.create": {
    summary: "Create a webhook destination",
    description:
      "A destination receives the tenant's events that match its filters (event types, topics, sender) as signed HTTP requests, retried by its policy. The answer carries the signing secret (`webhook.signingSecret`).",
    example: destinationExample
  },
  "eventDestination.list": { summary: "List destinations", description: `The tenant's destinations, without their signing secrets. ${pageNote}` },
  "eventDestination.get": { summary: "Get a destination", description: "One destination, with its signing secret." },
  "eventDestination.update": {
    summary: "Change a destination",
    description:
      "Fields given replace the stored ones; fields left out stay as they are (`eventTypes: null` receives every type). Re-enabling a destination resumes its deliveries.",
    example: { eventTypes: null, active: true, retry: { type: "linear", delaySeconds: 30, maxAttempts: 10 } }
  },
  "eventDestination.delete": {
    summary: "Delete a destination",
    description: "It receives nothing more; deliveries still open for it are given up. Answers `{ id, deleted: true }`."
  },
  "eventDestination.rotateSecret": {
    summary: "Rotate a destination's signing secret",
    description:
      "Replaces the signing secret. The old one keeps signing next to the new one for `graceSeconds` (default 86400), so receivers can switch without losing deliveries. No body means the defaults.",
    example: { graceSeconds: 3600 }
  },
  "event.create": {
    summary: "Publish an event",
    description:
      "Stores the event and one delivery intent per matching destination in one transaction, then answers 201: an accepted event is never lost. The payload is `payload` (JSON) or `payloadJson` (a JSON string). A repeated `idempotencyKey` answers the first event.",
    example: eventExample
  },
  "event.createBatch": {
    summary: "Publish up to 1,000 events at once",
    description: "The same as publishing each event, in one transaction: all are accepted or none is.",
    example: { events: [eventExample, { ...eventExample, eventType: "payment.failed", idempotencyKey: "pay_124-failed" }] }
  },
  "event.list": {
    summary: "List events",
    description: `The tenant's events, filtered by type, topic, sender, status and creation time (lists are comma-separated or repeated). ${pageNote}`
  },
  "event.get": { summary: "Get an event", description: "One event with its payload and its delivery counts." },
  "eventDeliveryIntent.list": {
    summary: "List delivery intents",
    description: `One intent per event and destination: its status, attempts so far, next attempt and last error. ${pageNote}`
  },
  "eventDeliveryIntent.get": {
    summary: "Get a delivery intent",
    description: "One intent with its event and destination."
  },
  "eventDeliveryIntent.retry": {
    summary: "Retry a delivery now",
    description:
      "Reopens a failed (or waiting) intent for an immediate attempt and answers 202. 409 when its destination is deleted or disabled, or its event's ttl has ended (`event_expired`): nothing would deliver it."
  },
  "eventDeliveryAttempt.list": {
    summary: "List delivery attempts",
    description: `Every HTTP request Signal made: status, duration, the receiver's answer (capped) or the error code. ${pageNote}`
  },
  "eventDeliveryAttempt.get": { summary: "Get a delivery attempt", description: "One attempt with its request's intent and the response." },
  "analytics.tenant": {
    summary: "Delivery analytics of a tenant",
    description:
      "Deliveries, success rate, attempts per delivery and latency p50/p95 over `[from, to)` (default: the last 24 hours), and the queue as it is now."
  },
  "analytics.destination": {
    summary: "Delivery analytics of one destination",
    description: "The same figures as the tenant's, for one destination."
  },
  "apiKey.create": {
    summary: "Create a tenant API key",
    description:
      "Admin only. The answer is the only time the key (`sk_…`) is shown: Signal keeps its hash. The key reaches its own tenant's routes.",
    example: { name: "ci" }
  },
  "apiKey.list": { summary: "List a tenant's API keys", description: `Admin only. Names and prefixes, never the keys. ${pageNote}` },
  "apiKey.revoke": {
    summary: "Revoke an API key",
    description: "Admin only. Requests with the key are refused from now on; answers the key with `revokedAt` set."
  },
  "destinationTest.send": {
    summary: "Send a signed test event to a destination now and answer the attempt",
    description:
      "Signs and sends a sample event (`eventType`, default `signal.test`, and `payload`) exactly as a real " +
      "delivery would be, outside the destination's queue, rate limit and circuit breaker, and answers the " +
      "attempt: `status`, the receiver's `response` or the `error` code, and `durationMs`. A receiver's " +
      "failure is an answer too (200 with `status: failed`). Nothing is stored; the request carries " +
      "`x-signal-test: true`. Waits at most 30 s, whatever the destination's timeout. Works on disabled " +
      "destinations, so a receiver can be checked before it is enabled. No body: a `signal.test` event with a sample payload.",
    example: { eventType: "order.created", payload: { orderId: "ord_123", amount: 4200 } }
  },
  "recovery.recover": {
    summary: "Re-queue a destination's finished deliveries of a time window, as one background job",
    description:
      "Re-queues the destination's intents created in [`since`, `until`) whose status is in `status` (default " +
      "`[\"failed\"]`) in batches: each gets new attempts under the same `webhook-id`. Answers the job; read " +
      "its progress (`queued`, `running`, `done`; `matched`, `requeued`) at `GET /v1/tenants/:tenantId/recoveries/:jobId`. " +
      "Asking again for the same recovery while it is queued or running answers that job instead of starting " +
      "another, and intents already re-queued (or still on their way) are never queued twice. The window may " +
      "span at most 90 days. Codes: `invalid_time_range` (400), `destination_disabled` (409).",
    example: { since: "2026-11-29T00:00:00Z", until: "2026-11-30T00:00:00Z", status: ["failed"] }
  },
  "recovery.get": {
    summary: "Progress of a recovery job",
    description: "`state` is `queued`, `running` or `done`; `matched` is how many intents matched when it started, `requeued` how many it has re-queued so far."
  },
  "recovery.replay": {
    summary: "Deliver one event again, to all its destinations or to chosen ones",
    description:
      "Re-queues the event's finished intents (new attempts, same `webhook-id`); an intent still on its way is " +
      "left as it is (`already_pending`). A chosen destination the event never went to gets a new intent " +
      "(`created`). No body: every destination the event was routed to. Codes: `destination_disabled` (409) for " +
      "a chosen destination that is disabled, `not_found` (404) for an unknown event or destination.",
    example: { destinationIds: ["dst_01jd8f2k7q3m5n9p4r6s8t0v2w"] }
  },
  "retention.get": {
    summary: "How long the tenant's events, deliveries and response bodies are kept",
    description: "As set for the tenant (`null`: the server default applies) and the days in effect."
  },
  "retention.set": {
    summary: "Set the tenant's retention (null: the server default)",
    description:
      "Events, their intents and attempts older than `days` are deleted in the background (an event with a " +
      "delivery still on its way is kept until it finishes); response bodies of attempts older than " +
      "`responseBodyDays` are dropped earlier. Code `invalid_retention` (400) when `responseBodyDays` exceeds `days`.",
    example: { days: 30, responseBodyDays: 7 }
  },
  health: { summary: "Liveness", description: "200 while the process serves HTTP; no authentication." },
  ready: {
    summary: "Readiness",
    description: "200 when the database answers, 503 otherwise; load balancers route to ready gateways only."
  }
}

/** What each tag (the contract's groups, by title) is about. */
export const tagDocs: Readonly<Record<string, string>> = {
  Tenants: "Isolated workspaces; everything else belongs to a tenant.",
  Senders: "The sources of events.",
  Destinations: "Webhook receivers: URL, filters, retry policy, signing secret, limits.",
  Events: "What producers publish; each is delivered to every matching destination.",
  "Delivery intents": "One per event and destination: where its delivery stands.",
  "Delivery attempts": "Every HTTP request made to deliver an intent, with the answer.",
  Analytics: "Delivery figures over a time window.",
  "API keys": "Tenant API keys; managed with the admin key only.",
  "Test sends": "A signed sample event sent to a destination at once, answered with the attempt.",
  "Recovery and replay": "Deliver again what already finished: a destination's time window, or one event.",
  Retention: "How long events, deliveries and response bodies are kept.",
  Health: "Liveness and readiness probes."
}

/**
 * What a field means, by name: Signal's names mean the same wherever they appear (a body, an answer,
 * a query parameter), so one glossary describes them all.
 */
export const fieldDocs: Readonly<Record<string, string>> = {
  id: "The record's id, prefixed by its kind (`ten_`, `snd_`, `dst_`, `evt_`, `int_`, `att_`, `key_`).",
  tenantId: "The tenant (`ten_…`) the record belongs to.",
  senderId: "The sender (`snd_…`): who publishes the event; on a destination, the only sender it receives from (`null`: every sender).",
  destinationId: "A destination (`dst_…`).",
  eventId: "An event (`evt_…`).",
  intentId: "A delivery intent (`int_…`).",
  attemptId: "A delivery attempt (`att_…`).",
  keyId: "An API key (`key_…`).",
  identifier: "Your stable identifier for it: upserting the same identifier updates the record.",
  name: "A display name.",
  description: "Free text for people (up to 2,000 characters).",
  eventType: "What happened, e.g. `payment.created` (1–200 characters).",
  eventTypes: "The event types received (`null`: every type); as a filter, any of them.",
  topics: "Topics for routing: a destination with topics receives events sharing at least one.",
  payload: "The event's data as JSON (at most 32 levels deep).",
  payloadJson: "The event's data as a JSON string (instead of `payload`).",
  headers: "HTTP headers sent with each delivery, as name → value.",
  onlyForDestinations: "Deliver only to these destinations (`dst_…`), if they match; `null` or absent: every matching destination.",
  idempotencyKey: "Publishing the same key again (per tenant) answers the first event and delivers nothing new.",
  ttlSeconds: "Seconds after which undelivered deliveries of the event stop retrying (`expired`).",
  retry: "How failed deliveries are retried: `linear` (delay × n) or `exponential` (delay × 2^(n−1)).",
  type: "The kind of value (see the allowed values).",
  delaySeconds: "Seconds before the first retry (1–86400); later ones grow by the retry type.",
  maxAttempts: "Attempts in all, the first included (1–100).",
  variant: "Where deliveries go: an HTTP endpoint (`url`, `method`, default POST).",
  url: "The receiver's absolute http(s) URL; private networks are refused at delivery time.",
  method: "The HTTP method of deliveries (default POST).",
  timeoutSeconds: "Seconds a delivery may take before it counts as failed (`timeout`), 1–300, default 30.",
  maxConcurrency: "Deliveries in flight to this destination at once, 1–1000, default 10.",
  rateLimitPerSecond: "Most deliveries per second to this destination (`null`: unlimited).",
  active: "Whether deliveries are made; `false` pauses the destination (nothing is lost).",
  status: "Where the record stands (see the allowed values).",
  graceSeconds:
    "Seconds the old signing secret keeps signing next to the new one (0–2592000, default 86400); 0 also ends every earlier secret still in its grace.",
  signingSecret: "The `whsec_…` secret deliveries are signed with (Standard Webhooks).",
  limit: "Page size, 1–200 (default 20).",
  order: "`desc` (newest first, the default) or `asc`.",
  cursor: "The previous page's `nextCursor`.",
  nextCursor: "Pass as `cursor` for the next page; `null` on the last one.",
  hasMore: "Whether another page follows.",
  items: "The page's records.",
  from: "Start of the window (inclusive), ISO 8601; default 24 hours before `to`.",
  to: "End of the window (exclusive), ISO 8601; default now.",
  createdAfter: "Only records created after this ISO 8601 time.",
  createdBefore: "Only records created before this ISO 8601 time.",
  eventIds: "Only for these events (`evt_…`; repeated or comma-separated).",
  until: "Up to (not including) this time, ISO 8601.",
  ordering:
    "`fifo`: one delivery at a time per ordering key, in publish order; the next waits until the one before it succeeded or finally failed (retries included). `none` (default): in parallel up to `maxConcurrency`.",
  orderingKey:
    "At a `fifo` destination, events with the same key are delivered in publish order while different keys proceed in parallel; events without one share a single order.",
  destinationIds: "Only for these destinations (`dst_…`; repeated or comma-separated).",
  intentIds: "Only for these intents (`int_…`; repeated or comma-separated).",
  senderIds: "Only from these senders (`snd_…`; repeated or comma-separated).",
  events: "The events to publish (1–1000).",
  code: "A stable, machine-readable error code.",
  message: "What went wrong, for people: one sentence per problem.",
  details: "Every problem with its `path` (field names from the body's root) and `message`.",
  createdAt: "When the record was created (ISO 8601).",
  updatedAt: "When the record last changed (ISO 8601)."
}

type Spec = Record<string, any>

/** Gives every schema property and parameter named in `fieldDocs` its description, where it has none. */
const describeFields = (node: unknown): void => {
  if (Array.isArray(node)) {
    for (const item of node) describeFields(item)
    return
  }
  if (node === null || typeof node !== "object") return
  const record = node as Spec
  if (record.properties !== null && typeof record.properties === "object") {
    for (const [name, property] of Object.entries<Spec>(record.properties)) {
      if (fieldDocs[name] !== undefined && property !== null && typeof property === "object") {
        property.description ??= fieldDocs[name]
      }
    }
  }
  if ((record.in === "path" || record.in === "query") && typeof record.name === "string" && fieldDocs[record.name] !== undefined) {
    record.description ??= fieldDocs[record.name]
  }
  for (const value of Object.values(record)) describeFields(value)
}

const methods = ["get", "put", "post", "patch", "delete"]

/**
 * Completes the generated document: summaries, descriptions and request examples of the
 * operations, tag descriptions, field and parameter descriptions (`fieldDocs`), and a server
 * entry (this Signal, same origin) when none is set.
 */
export const documentSpec = (spec: Spec): Spec => {
  for (const item of Object.values<Spec>(spec.paths ?? {})) {
    for (const method of methods) {
      const operation = item[method]
      if (operation === undefined) continue
      const docs = operationDocs[operation.operationId]
      if (docs === undefined) continue
      operation.summary ??= docs.summary
      operation.description ??= docs.description
      const body = operation.requestBody?.content?.["application/json"]
      if (body !== undefined && docs.example !== undefined) body.example ??= docs.example
    }
  }
  for (const tag of spec.tags ?? []) tag.description ??= tagDocs[tag.name]
  describeFields(spec.paths)
  describeFields(spec.components)
  if (spec.servers === undefined || spec.servers.length === 0) {
    spec.servers = [{ url: "/", description: "This Signal server (the API is served where this document is)" }]
  }
  return spec
}
