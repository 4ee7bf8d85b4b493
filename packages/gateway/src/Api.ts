import { HttpApiBuilder } from "@effect/platform"
import { SignalApi } from "@signal/domain/SignalApi"
import { AttemptRepo } from "@signal/store/AttemptRepo"
import { DestinationRepo } from "@signal/store/DestinationRepo"
import { EventRepo } from "@signal/store/EventRepo"
import { IntentRepo } from "@signal/store/IntentRepo"
import { SenderRepo } from "@signal/store/SenderRepo"
import { TenantRepo } from "@signal/store/TenantRepo"
import { Layer } from "effect"
import * as ApiErrors from "./ApiErrors"
import { AttemptsHttp, IntentsHttp } from "./DeliveriesHttp"
import { DestinationsHttp } from "./DestinationsHttp"
import { EventsHttp } from "./EventsHttp"
import { HealthHttp } from "./HealthHttp"
import { Ingest } from "./Ingest"
import { TenantGuard } from "./TenantGuard"
import { SendersHttp, TenantsHttp } from "./TenantsHttp"

const Repositories = Layer.mergeAll(
  TenantRepo.Default,
  SenderRepo.Default,
  DestinationRepo.Default,
  EventRepo.Default,
  IntentRepo.Default,
  AttemptRepo.Default
)

/** The whole HTTP API; needs a SqlClient and a Waker. */
export const ApiLive = HttpApiBuilder.api(SignalApi).pipe(
  Layer.provide([TenantsHttp, SendersHttp, DestinationsHttp, EventsHttp, IntentsHttp, AttemptsHttp, HealthHttp]),
  Layer.provide([Ingest.Default, TenantGuard.Default]),
  Layer.provide(ApiErrors.layer),
  Layer.provide(Repositories)
)
