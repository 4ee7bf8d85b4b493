/**
 * `signal listen`: a local receiver for development. Every delivery is printed and verified with
 * `verifyWebhook`; verified ones are forwarded to `--forward-to` and the local app's status and
 * body are relayed back to Signal, so retries behave as they would in production.
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { SignalJsonClient } from "@signal/client/SignalJsonClient"
import { inspectWebhook } from "@signal/client/verifyWebhook"
import { Console, Duration, Effect, Option } from "effect"
import { createServer } from "node:http"
import { CliFailure, UsageError } from "./CliError"
import * as Flags from "./Flags"
import { outputLine, time } from "./Output"
import { CliSettings, globalOptions, requireTenant, withSettings } from "./Settings"
import { runsUntilStopped } from "./Stopping"

export const DEFAULT_LISTEN_PORT = 25051

/** Hop-by-hop and framing headers are not forwarded; everything else (signatures too) is. */
const notForwarded = new Set(["host", "connection", "content-length", "transfer-encoding", "keep-alive", "upgrade"])

export interface ReceivedDelivery {
  readonly receivedAt: string
  readonly method: string
  readonly path: string
  readonly webhookId: string | null
  readonly eventId: string | null
  readonly eventType: string | null
  readonly verified: boolean
  readonly scheme: string | null
  readonly reason: string | null
  readonly status: number
  readonly forwardedTo: string | null
  readonly durationMs: number
  readonly error: string | null
}

export const deliveryLine = (d: ReceivedDelivery): string =>
  [
    time(d.receivedAt),
    `${d.method} ${d.path}`,
    d.eventId ?? "-",
    d.eventType ?? "-",
    d.webhookId ?? "-",
    d.verified ? `verified (${d.scheme})` : `REJECTED (${d.reason})`,
    d.forwardedTo === null ? `-> ${d.status}` : `-> ${d.forwardedTo} ${d.status}`,
    `${d.durationMs}ms`,
    d.error ?? ""
  ].join("  ").trimEnd()

const summary = (body: string): { readonly id: string | null; readonly type: string | null } => {
  try {
    const parsed: unknown = JSON.parse(body)
    if (parsed !== null && typeof parsed === "object") {
      const { id, type } = parsed as { id?: unknown; type?: unknown }
      return { id: typeof id === "string" ? id : null, type: typeof type === "string" ? type : null }
    }
  } catch {
    // not JSON: shown without event details
  }
  return { id: null, type: null }
}

export const listen = Command.make(
  "listen",
  {
    ...globalOptions,
    forwardTo: Flags.optionalText("forward-to", "Local URL to forward verified deliveries to"),
    secrets: Options.text("secret").pipe(
      Options.withDescription("Signing secret (whsec_…) to verify with; repeat during rotation"),
      Options.repeated
    ),
    destination: Flags.optionalText("destination", "Fetch the signing secret of this destination instead (needs --tenant)"),
    port: Options.integer("port").pipe(
      Options.withDescription(`Port to listen on (default ${DEFAULT_LISTEN_PORT}; 0 picks a free one)`),
      Options.withDefault(DEFAULT_LISTEN_PORT)
    ),
    host: Options.text("host").pipe(Options.withDescription("Interface to listen on"), Options.withDefault("127.0.0.1")),
    tolerance: Options.integer("tolerance").pipe(
      Options.withDescription("Accepted age of webhook-timestamp in seconds"),
      Options.withDefault(300)
    ),
    timeout: Options.integer("timeout").pipe(
      Options.withDescription("Seconds to wait for the forward target"),
      Options.withDefault(30)
    )
  },
  (flags) =>
    Effect.gen(function*() {
      const settings = yield* CliSettings
      let secrets: ReadonlyArray<string> = flags.secrets
      if (secrets.length === 0 && Option.isSome(flags.destination)) {
        const api = yield* SignalJsonClient
        const tenantId = yield* requireTenant
        const destination = yield* api.eventDestination.get({ tenantId, eventDestinationId: flags.destination.value })
        secrets = [destination.webhook.signingSecret]
      }
      if (secrets.length === 0) {
        return yield* new UsageError("missing_secret", "give --secret <whsec_…> (or --destination <dst_…> to fetch it)")
      }
      const forwardTo = Option.getOrNull(flags.forwardTo)
      if (forwardTo !== null && !/^https?:\/\//.test(forwardTo)) {
        return yield* new UsageError("invalid_option", `--forward-to must be an http(s) URL, got "${forwardTo}"`)
      }
      const httpClient = yield* HttpClient.HttpClient

      const forward = (request: HttpServerRequest.HttpServerRequest, body: string) => {
        const headers: Record<string, string> = {}
        for (const [name, value] of Object.entries(request.headers)) {
          if (!notForwarded.has(name)) headers[name] = value
        }
        const forwarded = HttpClientRequest.make(request.method)(forwardTo ?? "").pipe(HttpClientRequest.setHeaders(headers))
        return httpClient.execute(
          // fetch sends no body with GET or HEAD (a destination may use GET; its body is dropped here)
          request.method === "GET" || request.method === "HEAD"
            ? forwarded
            : HttpClientRequest.bodyText(forwarded, body, request.headers["content-type"] ?? "application/json")
        ).pipe(
          Effect.flatMap((response) =>
            Effect.map(response.text, (text) => ({
              status: response.status,
              body: text,
              contentType: response.headers["content-type"] ?? "text/plain"
            }))
          ),
          // the server runs handlers uninterruptibly: without this the deadline waited for the answer
          Effect.interruptible,
          Effect.timeoutFail({
            duration: Duration.seconds(flags.timeout),
            onTimeout: () => new CliFailure("timeout", `no answer from ${forwardTo} within ${flags.timeout}s`)
          })
        )
      }

      const handler = Effect.gen(function*() {
        const request = yield* HttpServerRequest.HttpServerRequest
        const started = Date.now()
        const body = yield* request.text
        const verification = inspectWebhook({ body, headers: request.headers, secret: secrets, toleranceSeconds: flags.tolerance })
        const event = summary(body)
        const base = {
          receivedAt: new Date(started).toISOString(),
          method: request.method,
          path: request.url,
          webhookId: request.headers["webhook-id"] ?? null,
          eventId: event.id,
          eventType: event.type,
          verified: verification.ok,
          scheme: verification.scheme ?? null,
          reason: verification.ok ? null : verification.reason
        }
        const report = (status: number, forwardedTo: string | null, error: string | null) =>
          outputLine<ReceivedDelivery>(
            { ...base, status, forwardedTo, durationMs: Date.now() - started, error },
            deliveryLine
          ).pipe(Effect.provideService(CliSettings, settings))

        if (!verification.ok) {
          yield* report(401, null, null)
          return HttpServerResponse.text(`signature verification failed: ${verification.reason}`, { status: 401 })
        }
        if (forwardTo === null) {
          yield* report(200, null, null)
          return HttpServerResponse.text("ok")
        }
        return yield* forward(request, body).pipe(
          Effect.matchEffect({
            onFailure: (error) => {
              const message = error instanceof CliFailure ? error.message : `forwarding failed: ${error.message}`
              return Effect.as(report(502, forwardTo, message), HttpServerResponse.text(message, { status: 502 }))
            },
            onSuccess: (answer) =>
              Effect.as(
                report(answer.status, forwardTo, null),
                HttpServerResponse.text(answer.body, { status: answer.status, contentType: answer.contentType })
              )
          })
        )
      }).pipe(
        Effect.catchAll((error) =>
          Effect.succeed(HttpServerResponse.text(`cannot read the request: ${String(error)}`, { status: 400 }))
        )
      )

      yield* Effect.gen(function*() {
        const server = yield* HttpServer.HttpServer
        yield* server.serve(handler)
        const address = server.address
        const where = address._tag === "TcpAddress" ? `http://${flags.host}:${address.port}` : address.path
        yield* Console.error(
          `listening on ${where}${forwardTo === null ? "" : `, forwarding to ${forwardTo}`}` +
            ` (${secrets.length} secret${secrets.length === 1 ? "" : "s"}; Ctrl-C to stop)`
        )
        yield* runsUntilStopped
        return yield* Effect.never
      }).pipe(
        Effect.scoped,
        Effect.provide(NodeHttpServer.layer(() => createServer(), { port: flags.port, host: flags.host })),
        Effect.catchTag("ServeError", (error) =>
          Effect.fail(new CliFailure("listen_failed", `cannot listen on ${flags.host}:${flags.port}: ${String(error.cause)}`)))
      )
    }).pipe(Effect.provide(FetchHttpClient.layer), withSettings(flags))
).pipe(Command.withDescription("Receive deliveries locally: verify, print and forward each one"))
