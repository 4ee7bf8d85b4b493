import { HttpApi, HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { BadRequest, NotFound, PayloadTooLarge, ServiceUnavailable } from "./ApiError"
import { DeliveryAttempt, ListAttemptsParams } from "./DeliveryAttempt"
import { DeliveryIntent, ListIntentsParams } from "./DeliveryIntent"
import { CreateDestination, Destination, UpdateDestination } from "./Destination"
import { CreateEvent, CreateEventBatch, Event, EventBatchResult, ListEventsParams } from "./Event"
import { AttemptId, DestinationId, EventId, IntentId, SenderId, TenantId } from "./Ids"
import { Page, PageParams } from "./Pagination"
import { Sender, UpsertSender } from "./Sender"
import { Tenant, UpsertTenant } from "./Tenant"

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
      .addSuccess(Page(Destination))
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

/** The whole public HTTP contract: the server implements it, the client derives from it. */
export class SignalApi extends HttpApi.make("signal")
  .add(TenantsApi)
  .add(SendersApi)
  .add(DestinationsApi)
  .add(EventsApi)
  .add(IntentsApi)
  .add(AttemptsApi)
  .add(HealthApi)
  .addError(BadRequest)
  .addError(NotFound)
  .addError(PayloadTooLarge)
  .addError(ServiceUnavailable)
  .annotate(OpenApi.Title, "Signal")
  .annotate(OpenApi.Description, "Webhook delivery: tenants, senders, destinations, events, deliveries.")
{}
