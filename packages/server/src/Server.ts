import { HttpApiBuilder, HttpApiSwagger, HttpMiddleware, HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { DestinationEntityLive } from "@signal/dispatcher/DestinationEntityLive"
import { DispatcherConfig } from "@signal/dispatcher/DispatcherConfig"
import { HttpSender } from "@signal/dispatcher/HttpSender"
import { SsrfGuard } from "@signal/dispatcher/SsrfGuard"
import { SweeperLive } from "@signal/dispatcher/Sweeper"
import { ApiLive } from "@signal/gateway/Api"
import { Waker } from "@signal/gateway/Waker"
import * as Database from "@signal/store/Database"
import { DeliveryQueue } from "@signal/store/DeliveryQueue"
import { DestinationRepo } from "@signal/store/DestinationRepo"
import { Effect, Layer } from "effect"
import { createServer } from "node:http"
import * as Cluster from "./Cluster"
import { ServerConfig } from "./ServerConfig"

/** The HTTP API with OpenAPI and docs, on HOST:PORT. */
const HttpLive = Layer.unwrapEffect(Effect.gen(function*() {
  const config = yield* ServerConfig
  return HttpApiBuilder.serve(HttpMiddleware.logger).pipe(
    Layer.provide(HttpApiSwagger.layer({ path: "/docs" })),
    Layer.provide(HttpApiBuilder.middlewareOpenApi({ path: "/openapi.json" })),
    Layer.provide(ApiLive),
    Layer.provide(Waker.layer),
    HttpServer.withLogAddress,
    Layer.provide(NodeHttpServer.layer(createServer, { port: config.port, host: config.host }))
  )
}))

/** Destination entities and the sweeper: what makes a process a dispatcher. */
const DispatcherLive = Layer.mergeAll(DestinationEntityLive, SweeperLive).pipe(
  Layer.provide([HttpSender.Default, DeliveryQueue.Default, DestinationRepo.Default]),
  Layer.provide([SsrfGuard.layerFromConfig, DispatcherConfig.layer])
)

/** Signal in the role the configuration asks for. */
export const ServerLive = Layer.unwrapEffect(Effect.gen(function*() {
  const { role } = yield* ServerConfig
  const parts = role === "gateway" ? HttpLive : role === "dispatcher" ? DispatcherLive : Layer.merge(HttpLive, DispatcherLive)
  return parts
})).pipe(
  Layer.provide(Cluster.layer),
  Layer.provide(Database.layer()),
  Layer.provide(ServerConfig.layer)
)
