import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as OpenApi from "@effect/platform/OpenApi"
import { documentSpec } from "@signal/domain/ApiDocs"
import { SignalApi } from "@signal/domain/SignalApi"
import { AnalyticsRepo } from "@signal/store/AnalyticsRepo"
import { ApiKeyRepo } from "@signal/store/ApiKeyRepo"
import { AttemptRepo } from "@signal/store/AttemptRepo"
import { DestinationRepo } from "@signal/store/DestinationRepo"
import { EventRepo } from "@signal/store/EventRepo"
import { IntentRepo } from "@signal/store/IntentRepo"
import { RecoveryRepo } from "@signal/store/RecoveryRepo"
import { RetentionRepo } from "@signal/store/RetentionRepo"
import { SenderRepo } from "@signal/store/SenderRepo"
import { TenantRepo } from "@signal/store/TenantRepo"
import { Layer } from "effect"
import { createRequire } from "node:module"
import { AdminAccessLive, AuthenticationLive, RateLimiterLive, TenantAccessLive } from "./Access"
import { AnalyticsHttp } from "./AnalyticsHttp"
import { ApiKeysHttp } from "./ApiKeysHttp"
import * as ApiErrors from "./ApiErrors"
import { AttemptsHttp, IntentsHttp } from "./DeliveriesHttp"
import { DestinationsHttp } from "./DestinationsHttp"
import { EventsHttp } from "./EventsHttp"
import { HealthHttp } from "./HealthHttp"
import { Ingest } from "./Ingest"
import { RecoveryHttp } from "./RecoveryHttp"
import { RecoveryRunner } from "./RecoveryRunner"
import { RetentionHttp } from "./RetentionHttp"
import { TenantGuard } from "./TenantGuard"
import { SendersHttp, TenantsHttp } from "./TenantsHttp"
import { TestSendHttp } from "./TestSendHttp"

const Repositories = Layer.mergeAll(
  TenantRepo.Default,
  SenderRepo.Default,
  DestinationRepo.Default,
  EventRepo.Default,
  IntentRepo.Default,
  AttemptRepo.Default,
  AnalyticsRepo.Default,
  ApiKeyRepo.Default,
  RecoveryRepo.Default,
  RetentionRepo.Default
)

/** Who may call what (see `Access.ts`); needs the `AccessConfig`. */
const AccessLive = Layer.mergeAll(AuthenticationLive, TenantAccessLive, AdminAccessLive).pipe(
  Layer.provide(RateLimiterLive)
)

/** This package's version (src/ and dist/ both sit next to its package.json). */
const gatewayVersion: string = createRequire(import.meta.url)("../package.json").version

/**
 * The contract as this gateway serves and documents it: the OpenAPI document (and /docs) carry
 * the gateway's version and the operations' summaries, descriptions and examples (`ApiDocs`).
 */
export const ServedApi = SignalApi.annotate(OpenApi.Version, gatewayVersion).annotate(
  OpenApi.Transform,
  documentSpec
)

/** The whole HTTP API; needs a SqlClient, a Waker, a TestSender and the `AccessConfig`. */
export const ApiLive = HttpApiBuilder.api(ServedApi).pipe(
  Layer.provide([TenantsHttp, SendersHttp, DestinationsHttp, EventsHttp, IntentsHttp, AttemptsHttp, AnalyticsHttp, HealthHttp]),
  Layer.provide(ApiKeysHttp),
  Layer.provide([TestSendHttp, RecoveryHttp, RetentionHttp]),
  Layer.provide(RecoveryRunner.layer),
  Layer.provide([Ingest.Default, TenantGuard.Default, AccessLive]),
  Layer.provide(ApiErrors.layer),
  Layer.provide(Repositories)
)
