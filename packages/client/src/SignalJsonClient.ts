import { AnalyticsParams, DeliveryAnalytics } from "@signal/domain/Analytics"
import { ApiKey, CreateApiKey, CreatedApiKey } from "@signal/domain/ApiKey"
import { DeliveryAttempt, ListAttemptsParams } from "@signal/domain/DeliveryAttempt"
import { DeliveryIntent, ListIntentsParams } from "@signal/domain/DeliveryIntent"
import {
  CreateDestination,
  Destination,
  DestinationListItem,
  RotateSecret,
  UpdateDestination
} from "@signal/domain/Destination"
import { CreateEvent, CreateEventBatch, Event, EventBatchResult, ListEventsParams } from "@signal/domain/Event"
import { ApiKeyId, AttemptId, DestinationId, EventId, IntentId, SenderId, TenantId } from "@signal/domain/Ids"
import { Page, PageParams } from "@signal/domain/Pagination"
import { Sender, UpsertSender } from "@signal/domain/Sender"
import { Tenant, UpsertTenant } from "@signal/domain/Tenant"
import { Effect, Schema } from "effect"
import { SignalClient, type SignalHttpClient } from "./SignalClient"
import { invalidRequest, type SignalClientError, toSignalClientError } from "./SignalClientError"
import type { AnalyticsWindow, Many, Operations, PageInput } from "./Types"

/** The Operations table as Effects: plain JSON in, plain JSON out, `SignalClientError` on failure. */
export type SignalJsonApi = {
  readonly [G in keyof Operations]: {
    readonly [M in keyof Operations[G]]: Operations[G][M] extends [infer I, infer O]
      ? (input: I) => Effect.Effect<O, SignalClientError>
      : never
  }
}

const decodeInput = <A, I>(schema: Schema.Schema<A, I>, value: unknown): Effect.Effect<A, SignalClientError> =>
  Schema.decodeUnknown(schema)(value).pipe(Effect.mapError(invalidRequest))

const TenantPath = Schema.Struct({ tenantId: TenantId })

const many = <A>(value: Many<A> | undefined): ReadonlyArray<A> | undefined =>
  value === undefined ? undefined : Array.isArray(value) ? value : [value as A]

const isoOrUndefined = (value: string | Date | undefined): string | undefined =>
  value === undefined ? undefined : value instanceof Date ? value.toISOString() : value

/** Query parameters in their wire form (what the contract's url-param schemas decode). */
const pageParams = (input: PageInput) =>
  dropUndefined({
    limit: input.limit === undefined ? undefined : String(input.limit),
    order: input.order,
    cursor: input.cursor ?? undefined
  })

/** An analytics window in its wire form. */
const analyticsParams = (input: AnalyticsWindow) =>
  dropUndefined({ from: isoOrUndefined(input.from), to: isoOrUndefined(input.to) })

const dropUndefined = <A extends Record<string, unknown>>(record: A): A => {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(record)) if (value !== undefined) out[key] = value
  return out as A
}

const omit = <A extends object, K extends string>(record: A, keys: ReadonlyArray<K>): Omit<A, K> => {
  const out = { ...record } as Record<string, unknown>
  for (const key of keys) delete out[key]
  return out as Omit<A, K>
}

/**
 * Wraps the typed `SignalClient` so it speaks plain JSON: inputs are validated and decoded with
 * the contract's schemas, outputs are re-encoded with them (dates back to ISO strings), and every
 * failure becomes a `SignalClientError`.
 */
export const makeJsonApi = (client: SignalHttpClient): SignalJsonApi => {
  const call = <A, I>(
    name: string,
    request: Effect.Effect<A, unknown>,
    schema: Schema.Schema<A, I>
  ): Effect.Effect<I, SignalClientError> =>
    request.pipe(
      Effect.flatMap(Schema.encode(schema)),
      Effect.catchAll((error) => Effect.flatMap(toSignalClientError(error), Effect.fail)),
      Effect.withSpan(`SignalClient.${name}`)
    )

  const DestinationPage = Page(DestinationListItem)
  const EventPage = Page(Event)
  const IntentPage = Page(DeliveryIntent)
  const AttemptPage = Page(DeliveryAttempt)
  const Deleted = Schema.Struct({ id: DestinationId, deleted: Schema.Literal(true) })
  const DestinationPath = Schema.Struct({ tenantId: TenantId, destinationId: DestinationId })
  const IntentPath = Schema.Struct({ tenantId: TenantId, intentId: IntentId })
  const ApiKeyPage = Page(ApiKey)
  // No graceSeconds sends no options (`null`), so the server's default applies.
  const RotateSecretPayload = Schema.NullOr(RotateSecret)

  return {
    tenant: {
      upsert: (input) =>
        call(
          "tenant.upsert",
          Effect.flatMap(decodeInput(UpsertTenant, input), (payload) => client.tenant.upsert({ payload })),
          Tenant
        ),
      get: (input) =>
        call(
          "tenant.get",
          Effect.flatMap(decodeInput(TenantPath, { tenantId: input.tenantId }), (path) => client.tenant.get({ path })),
          Tenant
        )
    },
    sender: {
      upsert: (input) =>
        call(
          "sender.upsert",
          Effect.flatMap(decodeInput(UpsertSender, input), (payload) => client.sender.upsert({ payload })),
          Sender
        ),
      get: (input) =>
        call(
          "sender.get",
          Effect.flatMap(
            decodeInput(Schema.Struct({ senderId: SenderId }), { senderId: input.senderId }),
            (path) => client.sender.get({ path })
          ),
          Sender
        )
    },
    eventDestination: {
      create: (input) =>
        call(
          "eventDestination.create",
          Effect.all([
            decodeInput(TenantPath, { tenantId: input.tenantId }),
            decodeInput(CreateDestination, omit(input, ["tenantId"]))
          ]).pipe(Effect.flatMap(([path, payload]) => client.eventDestination.create({ path, payload }))),
          Destination
        ),
      list: (input) =>
        call(
          "eventDestination.list",
          Effect.all([
            decodeInput(TenantPath, { tenantId: input.tenantId }),
            decodeInput(Schema.Struct(PageParams), pageParams(input))
          ]).pipe(Effect.flatMap(([path, urlParams]) => client.eventDestination.list({ path, urlParams }))),
          DestinationPage
        ),
      get: (input) =>
        call(
          "eventDestination.get",
          Effect.flatMap(
            decodeInput(DestinationPath, { tenantId: input.tenantId, destinationId: input.eventDestinationId }),
            (path) => client.eventDestination.get({ path })
          ),
          Destination
        ),
      update: (input) =>
        call(
          "eventDestination.update",
          Effect.all([
            decodeInput(DestinationPath, { tenantId: input.tenantId, destinationId: input.eventDestinationId }),
            decodeInput(UpdateDestination, dropUndefined(omit(input, ["tenantId", "eventDestinationId"])))
          ]).pipe(Effect.flatMap(([path, payload]) => client.eventDestination.update({ path, payload }))),
          Destination
        ),
      delete: (input) =>
        call(
          "eventDestination.delete",
          Effect.flatMap(
            decodeInput(DestinationPath, { tenantId: input.tenantId, destinationId: input.eventDestinationId }),
            (path) => client.eventDestination.delete({ path })
          ),
          Deleted
        ),
      rotateSecret: (input) =>
        call(
          "eventDestination.rotateSecret",
          Effect.all([
            decodeInput(DestinationPath, { tenantId: input.tenantId, destinationId: input.eventDestinationId }),
            decodeInput(
              RotateSecretPayload,
              input.graceSeconds === undefined ? null : { graceSeconds: input.graceSeconds }
            )
          ]).pipe(Effect.flatMap(([path, payload]) => client.eventDestination.rotateSecret({ path, payload }))),
          Destination
        )
    },
    event: {
      create: (input) =>
        call(
          "event.create",
          Effect.all([
            decodeInput(TenantPath, { tenantId: input.tenantId }),
            decodeInput(CreateEvent, dropUndefined(omit(input, ["tenantId"])))
          ]).pipe(Effect.flatMap(([path, payload]) => client.event.create({ path, payload }))),
          Event
        ),
      createBatch: (input) =>
        call(
          "event.createBatch",
          Effect.all([
            decodeInput(TenantPath, { tenantId: input.tenantId }),
            decodeInput(CreateEventBatch, { events: input.events.map((event) => dropUndefined({ ...event })) })
          ]).pipe(Effect.flatMap(([path, payload]) => client.event.createBatch({ path, payload }))),
          EventBatchResult
        ),
      get: (input) =>
        call(
          "event.get",
          Effect.flatMap(
            decodeInput(Schema.Struct({ tenantId: TenantId, eventId: EventId }), {
              tenantId: input.tenantId,
              eventId: input.eventId
            }),
            (path) => client.event.get({ path })
          ),
          Event
        ),
      list: (input) =>
        call(
          "event.list",
          Effect.all([
            decodeInput(TenantPath, { tenantId: input.tenantId }),
            decodeInput(
              ListEventsParams,
              dropUndefined({
                ...pageParams(input),
                eventTypes: many(input.eventTypes),
                topics: many(input.topics),
                senderIds: many(input.senderIds),
                status: many(input.status),
                createdAfter: isoOrUndefined(input.createdAfter),
                createdBefore: isoOrUndefined(input.createdBefore)
              })
            )
          ]).pipe(Effect.flatMap(([path, urlParams]) => client.event.list({ path, urlParams }))),
          EventPage
        )
    },
    eventDeliveryIntent: {
      list: (input) =>
        call(
          "eventDeliveryIntent.list",
          Effect.all([
            decodeInput(TenantPath, { tenantId: input.tenantId }),
            decodeInput(
              ListIntentsParams,
              dropUndefined({
                ...pageParams(input),
                eventIds: many(input.eventIds),
                destinationIds: many(input.destinationIds),
                status: many(input.status)
              })
            )
          ]).pipe(Effect.flatMap(([path, urlParams]) => client.eventDeliveryIntent.list({ path, urlParams }))),
          IntentPage
        ),
      get: (input) =>
        call(
          "eventDeliveryIntent.get",
          Effect.flatMap(
            decodeInput(IntentPath, { tenantId: input.tenantId, intentId: input.eventDeliveryIntentId }),
            (path) => client.eventDeliveryIntent.get({ path })
          ),
          DeliveryIntent
        ),
      retry: (input) =>
        call(
          "eventDeliveryIntent.retry",
          Effect.flatMap(
            decodeInput(IntentPath, { tenantId: input.tenantId, intentId: input.eventDeliveryIntentId }),
            (path) => client.eventDeliveryIntent.retry({ path })
          ),
          DeliveryIntent
        )
    },
    eventDeliveryAttempt: {
      list: (input) =>
        call(
          "eventDeliveryAttempt.list",
          Effect.all([
            decodeInput(TenantPath, { tenantId: input.tenantId }),
            decodeInput(
              ListAttemptsParams,
              dropUndefined({
                ...pageParams(input),
                eventIds: many(input.eventIds),
                intentIds: many(input.intentIds),
                destinationIds: many(input.destinationIds),
                status: many(input.status)
              })
            )
          ]).pipe(Effect.flatMap(([path, urlParams]) => client.eventDeliveryAttempt.list({ path, urlParams }))),
          AttemptPage
        ),
      get: (input) =>
        call(
          "eventDeliveryAttempt.get",
          Effect.flatMap(
            decodeInput(Schema.Struct({ tenantId: TenantId, attemptId: AttemptId }), {
              tenantId: input.tenantId,
              attemptId: input.eventDeliveryAttemptId
            }),
            (path) => client.eventDeliveryAttempt.get({ path })
          ),
          DeliveryAttempt
        )
    },
    analytics: {
      tenant: (input) =>
        call(
          "analytics.tenant",
          Effect.all([
            decodeInput(TenantPath, { tenantId: input.tenantId }),
            decodeInput(AnalyticsParams, analyticsParams(input))
          ]).pipe(Effect.flatMap(([path, urlParams]) => client.analytics.tenant({ path, urlParams }))),
          DeliveryAnalytics
        ),
      destination: (input) =>
        call(
          "analytics.destination",
          Effect.all([
            decodeInput(DestinationPath, { tenantId: input.tenantId, destinationId: input.eventDestinationId }),
            decodeInput(AnalyticsParams, analyticsParams(input))
          ]).pipe(Effect.flatMap(([path, urlParams]) => client.analytics.destination({ path, urlParams }))),
          DeliveryAnalytics
        )
    },
    apiKey: {
      create: (input) =>
        call(
          "apiKey.create",
          Effect.all([
            decodeInput(TenantPath, { tenantId: input.tenantId }),
            decodeInput(CreateApiKey, dropUndefined(omit(input, ["tenantId"])))
          ]).pipe(Effect.flatMap(([path, payload]) => client.apiKey.create({ path, payload }))),
          CreatedApiKey
        ),
      list: (input) =>
        call(
          "apiKey.list",
          Effect.all([
            decodeInput(TenantPath, { tenantId: input.tenantId }),
            decodeInput(Schema.Struct(PageParams), pageParams(input))
          ]).pipe(Effect.flatMap(([path, urlParams]) => client.apiKey.list({ path, urlParams }))),
          ApiKeyPage
        ),
      revoke: (input) =>
        call(
          "apiKey.revoke",
          Effect.flatMap(
            decodeInput(Schema.Struct({ tenantId: TenantId, keyId: ApiKeyId }), {
              tenantId: input.tenantId,
              keyId: input.apiKeyId
            }),
            (path) => client.apiKey.revoke({ path })
          ),
          ApiKey
        )
    }
  }
}

/**
 * The Signal API with plain JSON values, as an Effect service over `SignalClient`:
 * `SignalJsonClient.Default.pipe(Layer.provide(SignalClient.layerFetch({ endpoint })))`.
 */
export class SignalJsonClient extends Effect.Service<SignalJsonClient>()("@signal/client/SignalJsonClient", {
  effect: Effect.map(SignalClient, makeJsonApi)
}) {}
