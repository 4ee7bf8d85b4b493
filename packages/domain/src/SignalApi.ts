import * as HttpApi from "@effect/platform/HttpApi"
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as OpenApi from "@effect/platform/OpenApi"
import { Schema } from "effect"
import { AnalyticsParams, DeliveryAnalytics } from "./Analytics"
import { AdminAccess, Authentication, TenantAccess } from "./Access"
import {
  BadRequest,
  Conflict,
  HeadersTooLarge,
  NotFound,
  PayloadTooLarge,
  ServiceUnavailable,
  UnsupportedMediaType
} from "./ApiError"
import { ApiKey, CreateApiKey, CreatedApiKey } from "./ApiKey"
import { DeliveryAttempt, ListAttemptsParams } from "./DeliveryAttempt"
import { DeliveryIntent, ListIntentsParams } from "./DeliveryIntent"
import { CreateDestination, Destination, DestinationListItem, RotateSecret, UpdateDestination } from "./Destination"
import { CreateEvent, CreateEventBatch, Event, EventBatchResult, ListEventsParams } from "./Event"
import { ApiKeyId, AttemptId, DestinationId, EventId, IntentId, RecoveryJobId, SenderId, TenantId } from "./Ids"
import { Page, PageParams } from "./Pagination"
import { RecoverRequest, RecoveryJob, ReplayRequest, ReplayResult } from "./Recovery"
import { Retention, UpdateRetention } from "./Retention"
import { Sender, UpsertSender } from "./Sender"
import { Tenant, UpsertTenant } from "./Tenant"
import { TestSendRequest, TestSendResult } from "./TestSend"

const tenantPath = { tenantId: TenantId }

export class TenantsApi extends HttpApiGroup.make("tenant")
  .add(HttpApiEndpoint.put("upsert", "/v1/tenants").setPayload(UpsertTenant).addSuccess(Tenant))
  .add(HttpApiEndpoint.get("get", "/v1/tenants/:tenantId").setPath(Schema.Struct(tenantPath)).addSuccess(Tenant))
  .annotate(OpenApi.Title, "Tenants")
{}

export class SendersApi extends HttpApiGroup.make("sender")
  .add(HttpApiEndpoint.put("upsert", "/v1/senders").setPayload(UpsertSender).addSuccess(Sender))
  .add(
    HttpApiEndpoint.get("get", "/v1/senders/:senderId")
      .setPath(Schema.Struct({ senderId: SenderId }))
      .addSuccess(Sender)
  )
  .annotate(OpenApi.Title, "Senders")
{}

const destinationPath = Schema.Struct({ ...tenantPath, destinationId: DestinationId })

export class DestinationsApi extends HttpApiGroup.make("eventDestination")
  .add(
    HttpApiEndpoint.post("create", "/v1/tenants/:tenantId/destinations")
      .setPath(Schema.Struct(tenantPath))
      .setPayload(CreateDestination)
      .addSuccess(Destination, { status: 201 })
  )
  .add(
    HttpApiEndpoint.get("list", "/v1/tenants/:tenantId/destinations")
      .setPath(Schema.Struct(tenantPath))
      .setUrlParams(Schema.Struct(PageParams))
      .addSuccess(Page(DestinationListItem))
  )
  .add(HttpApiEndpoint.get("get", "/v1/tenants/:tenantId/destinations/:destinationId").setPath(destinationPath).addSuccess(Destination))
  .add(
    HttpApiEndpoint.patch("update", "/v1/tenants/:tenantId/destinations/:destinationId")
      .setPath(destinationPath)
      .setPayload(UpdateDestination)
      .addSuccess(Destination)
  )
  .add(
    HttpApiEndpoint.del("delete", "/v1/tenants/:tenantId/destinations/:destinationId")
      .setPath(destinationPath)
      .addSuccess(Schema.Struct({ id: DestinationId, deleted: Schema.Literal(true) }))
  )
  .add(
    HttpApiEndpoint.post("rotateSecret", "/v1/tenants/:tenantId/destinations/:destinationId/rotate-secret")
      .setPath(destinationPath)
      // No body at all means the defaults.
      .setPayload(Schema.NullOr(RotateSecret))
      .addSuccess(Destination)
      .annotate(
        OpenApi.Description,
        "Replaces the signing secret. The old one keeps signing next to the new one for `graceSeconds` (default 86400)."
      )
  )
  .annotate(OpenApi.Title, "Destinations")
{}

export class EventsApi extends HttpApiGroup.make("event")
  .add(
    HttpApiEndpoint.post("create", "/v1/tenants/:tenantId/events")
      .setPath(Schema.Struct(tenantPath))
      .setPayload(CreateEvent)
      .addSuccess(Event, { status: 201 })
  )
  .add(
    HttpApiEndpoint.post("createBatch", "/v1/tenants/:tenantId/events/batch")
      .setPath(Schema.Struct(tenantPath))
      .setPayload(CreateEventBatch)
      .addSuccess(EventBatchResult, { status: 201 })
  )
  .add(
    HttpApiEndpoint.get("list", "/v1/tenants/:tenantId/events")
      .setPath(Schema.Struct(tenantPath))
      .setUrlParams(ListEventsParams)
      .addSuccess(Page(Event))
  )
  .add(
    HttpApiEndpoint.get("get", "/v1/tenants/:tenantId/events/:eventId")
      .setPath(Schema.Struct({ ...tenantPath, eventId: EventId }))
      .addSuccess(Event)
  )
  .annotate(OpenApi.Title, "Events")
{}

const intentPath = Schema.Struct({ ...tenantPath, intentId: IntentId })

export class IntentsApi extends HttpApiGroup.make("eventDeliveryIntent")
  .add(
    HttpApiEndpoint.get("list", "/v1/tenants/:tenantId/intents")
      .setPath(Schema.Struct(tenantPath))
      .setUrlParams(ListIntentsParams)
      .addSuccess(Page(DeliveryIntent))
  )
  .add(HttpApiEndpoint.get("get", "/v1/tenants/:tenantId/intents/:intentId").setPath(intentPath).addSuccess(DeliveryIntent))
  .add(
    HttpApiEndpoint.post("retry", "/v1/tenants/:tenantId/intents/:intentId/retry")
      .setPath(intentPath)
      .addSuccess(DeliveryIntent, { status: 202 })
      // destination_deleted / destination_disabled / event_expired: nothing would deliver it.
      .addError(Conflict)
  )
  .annotate(OpenApi.Title, "Delivery intents")
{}

export class AttemptsApi extends HttpApiGroup.make("eventDeliveryAttempt")
  .add(
    HttpApiEndpoint.get("list", "/v1/tenants/:tenantId/attempts")
      .setPath(Schema.Struct(tenantPath))
      .setUrlParams(ListAttemptsParams)
      .addSuccess(Page(DeliveryAttempt))
  )
  .add(
    HttpApiEndpoint.get("get", "/v1/tenants/:tenantId/attempts/:attemptId")
      .setPath(Schema.Struct({ ...tenantPath, attemptId: AttemptId }))
      .addSuccess(DeliveryAttempt)
  )
  .annotate(OpenApi.Title, "Delivery attempts")
{}

export class AnalyticsApi extends HttpApiGroup.make("analytics")
  .add(
    HttpApiEndpoint.get("tenant", "/v1/tenants/:tenantId/analytics")
      .setPath(Schema.Struct(tenantPath))
      .setUrlParams(AnalyticsParams)
      .addSuccess(DeliveryAnalytics)
      .annotate(OpenApi.Summary, "Delivery analytics of a tenant over a time window (default: the last 24 hours)")
  )
  .add(
    HttpApiEndpoint.get("destination", "/v1/tenants/:tenantId/destinations/:destinationId/analytics")
      .setPath(destinationPath)
      .setUrlParams(AnalyticsParams)
      .addSuccess(DeliveryAnalytics)
      .annotate(OpenApi.Summary, "Delivery analytics of one destination over a time window (default: the last 24 hours)")
  )
  .annotate(OpenApi.Title, "Analytics")
{}

export class DestinationTestApi extends HttpApiGroup.make("destinationTest")
  .add(
    HttpApiEndpoint.post("send", "/v1/tenants/:tenantId/destinations/:destinationId/test")
      .setPath(destinationPath)
      // No body at all means a `signal.test` event with a sample payload.
      .setPayload(Schema.NullOr(TestSendRequest))
      .addSuccess(TestSendResult)
  )
  .annotate(OpenApi.Title, "Test sends")
{}

export class RecoveryApi extends HttpApiGroup.make("recovery")
  .add(
    HttpApiEndpoint.post("recover", "/v1/tenants/:tenantId/destinations/:destinationId/recover")
      .setPath(destinationPath)
      .setPayload(RecoverRequest)
      .addSuccess(RecoveryJob, { status: 202 })
      // destination_disabled / destination_deleted: nothing would deliver what is re-queued.
      .addError(Conflict)
  )
  .add(
    HttpApiEndpoint.get("get", "/v1/tenants/:tenantId/recoveries/:jobId")
      .setPath(Schema.Struct({ ...tenantPath, jobId: RecoveryJobId }))
      .addSuccess(RecoveryJob)
  )
  .add(
    HttpApiEndpoint.post("replay", "/v1/tenants/:tenantId/events/:eventId/replay")
      .setPath(Schema.Struct({ ...tenantPath, eventId: EventId }))
      // No body at all means every destination the event was routed to.
      .setPayload(Schema.NullOr(ReplayRequest))
      .addSuccess(ReplayResult, { status: 202 })
      .addError(Conflict)
  )
  .annotate(OpenApi.Title, "Recovery and replay")
{}

export class RetentionApi extends HttpApiGroup.make("retention")
  .add(
    HttpApiEndpoint.get("get", "/v1/tenants/:tenantId/retention")
      .setPath(Schema.Struct(tenantPath))
      .addSuccess(Retention)
  )
  .add(
    HttpApiEndpoint.put("set", "/v1/tenants/:tenantId/retention")
      .setPath(Schema.Struct(tenantPath))
      .setPayload(UpdateRetention)
      .addSuccess(Retention)
  )
  .annotate(OpenApi.Title, "Retention")
{}

export class ApiKeysApi extends HttpApiGroup.make("apiKey")
  .add(
    HttpApiEndpoint.post("create", "/v1/tenants/:tenantId/api-keys")
      .setPath(Schema.Struct(tenantPath))
      .setPayload(CreateApiKey)
      .addSuccess(CreatedApiKey, { status: 201 })
  )
  .add(
    HttpApiEndpoint.get("list", "/v1/tenants/:tenantId/api-keys")
      .setPath(Schema.Struct(tenantPath))
      .setUrlParams(Schema.Struct(PageParams))
      .addSuccess(Page(ApiKey))
  )
  .add(
    HttpApiEndpoint.del("revoke", "/v1/tenants/:tenantId/api-keys/:keyId")
      .setPath(Schema.Struct({ ...tenantPath, keyId: ApiKeyId }))
      .addSuccess(ApiKey)
  )
  .annotate(OpenApi.Title, "API keys")
  .annotate(OpenApi.Description, "Tenant API keys; managed with the admin key only.")
{}

export const Health = Schema.Struct({ status: Schema.Literal("ok") })
export const Readiness = Schema.Struct({
  status: Schema.Literal("ready"),
  database: Schema.Literal("up")
})

export class HealthApi extends HttpApiGroup.make("health", { topLevel: true })
  .add(HttpApiEndpoint.get("health", "/health").addSuccess(Health))
  .add(HttpApiEndpoint.get("ready", "/ready").addSuccess(Readiness))
  .annotate(OpenApi.Title, "Health")
{}

/**
 * The whole public HTTP contract: the server implements it, the client derives from it.
 *
 * Every group but health needs a key. The middleware added last runs first, so `Authentication`
 * resolves the caller before `TenantAccess`/`AdminAccess` decide what it may reach. Tenant-scoped
 * groups admit the admin key and the key of the route's tenant; tenants, senders and API keys are
 * the admin's (a tenant key may still read its own tenant).
 */
export class SignalApi extends HttpApi.make("signal")
  .add(TenantsApi.middleware(TenantAccess).middleware(Authentication))
  .add(SendersApi.middleware(TenantAccess).middleware(Authentication))
  .add(DestinationsApi.middleware(TenantAccess).middleware(Authentication))
  .add(EventsApi.middleware(TenantAccess).middleware(Authentication))
  .add(IntentsApi.middleware(TenantAccess).middleware(Authentication))
  .add(AttemptsApi.middleware(TenantAccess).middleware(Authentication))
  .add(AnalyticsApi.middleware(TenantAccess).middleware(Authentication))
  .add(DestinationTestApi.middleware(TenantAccess).middleware(Authentication))
  .add(RecoveryApi.middleware(TenantAccess).middleware(Authentication))
  .add(RetentionApi.middleware(TenantAccess).middleware(Authentication))
  .add(ApiKeysApi.middleware(AdminAccess).middleware(Authentication))
  .add(HealthApi)
  .addError(BadRequest)
  .addError(NotFound)
  .addError(PayloadTooLarge)
  .addError(ServiceUnavailable)
  .addError(HeadersTooLarge)
  .addError(UnsupportedMediaType)
  .annotate(OpenApi.Title, "Signal")
  .annotate(OpenApi.Description, "Webhook delivery: tenants, senders, destinations, events, deliveries.")
{}
