import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import type * as HttpApp from "@effect/platform/HttpApp"
import * as HttpApiSwagger from "@effect/platform/HttpApiSwagger"
import * as HttpMiddleware from "@effect/platform/HttpMiddleware"
import * as HttpServer from "@effect/platform/HttpServer"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { DestinationDrains } from "@signal/dispatcher/DestinationDrains"
import { DestinationEntityLive } from "@signal/dispatcher/DestinationEntityLive"
import { DestinationWatch } from "@signal/dispatcher/DestinationWatch"
import { DispatcherConfig } from "@signal/dispatcher/DispatcherConfig"
import { HttpSender } from "@signal/dispatcher/HttpSender"
import { LeaseKeeper } from "@signal/dispatcher/LeaseKeeper"
import { OutcomeWriter } from "@signal/dispatcher/OutcomeWriter"
import { QueueStatisticsKeeperLive } from "@signal/dispatcher/QueueStatisticsKeeper"
import { RetentionLive } from "@signal/dispatcher/Retention"
import { SsrfGuard } from "@signal/dispatcher/SsrfGuard"
import { ClusterJanitorLive, SweeperLive } from "@signal/dispatcher/Sweeper"
import { WakeListenerLive } from "@signal/dispatcher/WakeListener"
import * as TestDelivery from "@signal/dispatcher/TestDelivery"
import * as AccessConfig from "@signal/gateway/AccessConfig"
import { ApiLive } from "@signal/gateway/Api"
import { LocalDrains } from "@signal/gateway/LocalDrains"
import { Waker } from "@signal/gateway/Waker"
import { ClusterTables } from "@signal/store/ClusterTables"
import * as Database from "@signal/store/Database"
import { DeliveryQueue } from "@signal/store/DeliveryQueue"
import { DestinationRepo } from "@signal/store/DestinationRepo"
import { IngestLoad } from "@signal/store/IngestLoad"
import { QueueStatistics } from "@signal/store/QueueStatistics"
import { RetentionRepo } from "@signal/store/RetentionRepo"
import { WakeNotices } from "@signal/store/WakeNotices"
import { Effect, Function, Layer } from "effect"
import * as Cluster from "./Cluster"
import * as Dashboard from "./Dashboard"
import { createGatedServer } from "./GatedHttpServer"
import * as Logging from "./Logging"
import { DispatcherHttpLive } from "./DispatcherHttp"
import * as Metrics from "./Metrics"
import { ProcessMetrics } from "./ProcessMetrics"
import * as PropagationOnlyTracer from "./PropagationOnlyTracer"
import * as RequestSpan from "./RequestSpan"
import { ServerConfig } from "./ServerConfig"
import * as Tracing from "./Tracing"

/** The HTTP API with OpenAPI and docs, and the dashboard at /ui, on HOST:PORT. */
const HttpLive = Layer.unwrapEffect(Effect.gen(function*() {
  const config = yield* ServerConfig
  // Before anything binds: without SIGNAL_ADMIN_KEY only a loopback HOST may serve the API.
  const access = yield* AccessConfig.load(config.host)
  const propagationOnly = yield* PropagationOnlyTracer.installed
  const handle = <E, R>(app: HttpApp.Default<E, R>) => Logging.accessLog(Metrics.httpMetrics(app))
  return HttpApiBuilder.serve(propagationOnly ? (app) => RequestSpan.propagationOnly(handle(app)) : handle).pipe(
    Layer.provide(HttpApiSwagger.layer({ path: "/docs" })),
    Layer.provide(HttpApiBuilder.middlewareOpenApi({ path: "/openapi.json" })),
    Layer.provide(Metrics.route),
    Layer.provide(Dashboard.route),
    Layer.provide(ApiLive),
    Layer.provide(Layer.succeed(AccessConfig.AccessConfig, access)),
    Layer.provide(Waker.layer.pipe(Layer.provide(WakeNotices.Default))),
    // Test sends go out through the delivery path's sender, from whichever gateway is asked.
    Layer.provide(TestDelivery.layer.pipe(Layer.provide(HttpSender.Default), Layer.provide(SsrfGuard.layerFromConfig))),
    // with the spans of RequestSpan instead
    propagationOnly ? HttpMiddleware.withTracerDisabledWhen(Function.constTrue) : Function.identity,
    HttpServer.withLogAddress,
    Layer.provide(NodeHttpServer.layer(createGatedServer, { port: config.port, host: config.host }))
  )
}))

/**
 * Destination entities, the sweeper, the retention pruner and the queue statistics keeper: what makes
 * a process a dispatcher. Its drains are part of what it gives, for a gateway in the same process to
 * hand its wakes to.
 */
const DispatcherLive = Layer.mergeAll(
  Layer.mergeAll(DestinationEntityLive, WakeListenerLive, SweeperLive).pipe(
    Layer.provideMerge(DestinationDrains.Default)
  ),
  ClusterJanitorLive,
  RetentionLive,
  QueueStatisticsKeeperLive
).pipe(
  Layer.provide([
    HttpSender.Default,
    DestinationWatch.Default,
    LeaseKeeper.Default,
    ClusterTables.Default,
    RetentionRepo.Default,
    QueueStatistics.Default
  ]),
  Layer.provide(DestinationRepo.Default),
  Layer.provide([SsrfGuard.layerFromConfig, DispatcherConfig.layer])
)

/** The gateway's hand-off to the drains of its own process (`SIGNAL_ROLE=all`). */
const LocalDrainsLive = Layer.effect(
  LocalDrains,
  Effect.map(DestinationDrains, (drains) =>
    LocalDrains.of({
      owns: drains.owns,
      wake: (ids) => Effect.asVoid(drains.wakeOwned(ids)),
      reconfigure: drains.reconfigure,
      adoption: drains.adoption,
      adopt: drains.adopt
    }))
)

/**
 * Provided beneath the cluster so it is stopped after it: entities shutting down still have their
 * last outcomes written, instead of leaving leased intents to be sent again.
 */
const OutcomesLive = Layer.provideMerge(OutcomeWriter.Default, DeliveryQueue.Default)

/** Signal in the role the configuration asks for. */
export const ServerLive = Layer.unwrapEffect(Effect.gen(function*() {
  const { role } = yield* ServerConfig
  return role === "gateway"
    ? HttpLive
    : role === "dispatcher"
    ? Layer.merge(DispatcherLive, DispatcherHttpLive)
    // the API on top of the dispatcher: built after it, and stopped before it
    : HttpLive.pipe(Layer.provide(LocalDrainsLive), Layer.provideMerge(DispatcherLive))
})).pipe(
  Layer.merge(Metrics.layer),
  Layer.provide(Cluster.layer),
  // one for the whole process: its API counts the publishes in progress, its drains make room for them
  Layer.provide([OutcomesLive, IngestLoad.Default]),
  // one per process, for its /metrics and the OTLP export alike
  Layer.provide(ProcessMetrics.Default),
  Layer.provide(Layer.unwrapEffect(Effect.map(ServerConfig, ({ migrate, role }) =>
    // dispatchers serve no API: no ingest pool
    Database.layer({ migrate, ingestPool: role !== "dispatcher" })))),
  // Built first, so migrations, the cluster and everything after are traced.
  Layer.provide(Tracing.layer),
  // Logging first of all, so every fiber the server starts logs in the configured format and level.
  Layer.provide(Logging.layer),
  Layer.provide(ServerConfig.layer)
)
