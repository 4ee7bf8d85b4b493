import * as ClusterMetrics from "@effect/cluster/ClusterMetrics"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect, Layer, Metric } from "effect"
import { createGatedServer } from "./GatedHttpServer"
import * as Metrics from "./Metrics"
import { ServerConfig } from "./ServerConfig"

/**
 * A dispatcher serves no API, only what orchestrators and operators probe: liveness, readiness
 * (database reachable), the shards it currently owns and its Prometheus `/metrics`.
 */
const router = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const config = yield* ServerConfig
  const runner = `${config.runnerHost}:${config.runnerPort}`
  const metrics = yield* Metrics.makeHandler
  return HttpRouter.empty.pipe(
    HttpRouter.get("/health", HttpServerResponse.unsafeJson({ status: "ok" })),
    HttpRouter.get(
      "/ready",
      sql`SELECT 1`.pipe(
        Effect.timeout("2 seconds"),
        Effect.as(HttpServerResponse.unsafeJson({ status: "ready", database: "up" })),
        Effect.orElseSucceed(() =>
          HttpServerResponse.unsafeJson({ code: "unavailable", message: "database unreachable" }, { status: 503 })
        )
      )
    ),
    HttpRouter.get("/metrics", metrics),
    HttpRouter.get(
      "/cluster",
      Metric.value(ClusterMetrics.shards).pipe(
        Effect.map((state) => HttpServerResponse.unsafeJson({ runner, shards: Number(state.value) }))
      )
    )
  )
})

export const DispatcherHttpLive = Layer.unwrapEffect(Effect.gen(function*() {
  const config = yield* ServerConfig
  return HttpServer.serve(yield* router, Metrics.httpMetrics).pipe(
    HttpServer.withLogAddress,
    Layer.provide(NodeHttpServer.layer(createGatedServer, { port: config.port, host: config.host }))
  )
}))
