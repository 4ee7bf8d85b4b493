import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as SqlClient from "@effect/sql/SqlClient"
import { ServiceUnavailable } from "@signal/domain/ApiError"
import { SignalApi } from "@signal/domain/SignalApi"
import { Effect } from "effect"

export const HealthHttp = HttpApiBuilder.group(SignalApi, "health", (handlers) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const databaseUp = sql`SELECT 1`.pipe(
      Effect.timeoutFail({
        duration: "2 seconds",
        onTimeout: () => new ServiceUnavailable({ code: "unavailable", message: "database did not answer in time" })
      }),
      Effect.catchTag("SqlError", () =>
        Effect.fail(new ServiceUnavailable({ code: "unavailable", message: "database unreachable" }))),
      Effect.withSpan("Health.database")
    )
    return handlers
      .handle("health", () => Effect.succeed({ status: "ok" as const }))
      .handle("ready", () => Effect.as(databaseUp, { status: "ready" as const, database: "up" as const }))
  }))
