import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpApiClient from "@effect/platform/HttpApiClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { SignalApi } from "@signal/domain/SignalApi"
import { Config, Context, Effect, Layer, Option, Predicate, Redacted } from "effect"

/** Where a Signal server listens when nothing else is configured. */
export const DEFAULT_ENDPOINT = "http://127.0.0.1:25050"

/** How long a request waits for its answer unless told otherwise. */
export const DEFAULT_TIMEOUT_MS = 30_000

export interface SignalClientOptions {
  /** Base URL of the Signal API, e.g. `http://127.0.0.1:25050`. */
  readonly endpoint: string | URL
  /** Sent as `Authorization: Bearer <apiKey>` when given. */
  readonly apiKey?: string | Redacted.Redacted<string> | undefined
  /** Extra headers sent with every request. */
  readonly headers?: Readonly<Record<string, string>> | undefined
  /**
   * Milliseconds a request waits for its answer before it fails as a transport error (default 30 s):
   * a server that accepts the connection and never answers does not hold the caller for minutes.
   */
  readonly timeoutMs?: number | undefined
}

/** `http://host:port/` and `http://host:port` both work; a path prefix is kept. */
export const normalizeEndpoint = (endpoint: string | URL): string => endpoint.toString().replace(/\/+$/, "")

/** The typed client derived from the `SignalApi` contract: domain classes in, domain classes out. */
export const makeSignalClient = (options: SignalClientOptions) =>
  HttpApiClient.make(SignalApi, {
    baseUrl: normalizeEndpoint(options.endpoint),
    transformClient: (client) =>
      client.pipe(
        HttpClient.mapRequest((request) => {
          let next = HttpClientRequest.acceptJson(request)
          if (options.headers !== undefined) next = HttpClientRequest.setHeaders(next, options.headers)
          const apiKey = options.apiKey
          if (apiKey !== undefined && (Redacted.isRedacted(apiKey) || apiKey !== "")) {
            next = HttpClientRequest.bearerToken(next, apiKey)
          }
          return next
        }),
        HttpClient.transformResponse(Effect.flatMap(foreignErrorsAsResponseErrors)),
        HttpClient.transform((response, request) => withTimeout(response, request, options.timeoutMs ?? DEFAULT_TIMEOUT_MS))
      )
  })

/** The request given up after `timeoutMs`, cancelled even where the caller runs uninterruptibly (a server's handler). */
const withTimeout = <A, E, R>(response: Effect.Effect<A, E, R>, request: HttpClientRequest.HttpClientRequest, timeoutMs: number) =>
  Effect.timeoutFail(Effect.interruptible(response), {
    duration: timeoutMs,
    onTimeout: () =>
      new HttpClientError.RequestError({ request, reason: "Transport", description: `no answer within ${timeoutMs / 1000} s` })
  })

/**
 * An error answer that is not one of the contract's tagged errors (a proxy's HTML 503, a bare 401)
 * fails as a `ResponseError` carrying its status, rather than as a schema mismatch. The body is
 * read as an ArrayBuffer, which the response caches for the contract decoder.
 */
const foreignErrorsAsResponseErrors = (response: HttpClientResponse.HttpClientResponse) =>
  response.status < 400
    ? Effect.succeed(response)
    : response.arrayBuffer.pipe(
      Effect.flatMap((buffer) => {
        let body: unknown = undefined
        try {
          body = JSON.parse(new TextDecoder().decode(buffer))
        } catch {
          // not JSON
        }
        return Predicate.isRecord(body) && typeof body._tag === "string"
          ? Effect.succeed(response)
          : Effect.fail(
            new HttpClientError.ResponseError({
              request: response.request,
              response,
              reason: "StatusCode",
              description: `HTTP ${response.status} outside the contract`
            })
          )
      })
    )

export type SignalHttpClient = Effect.Effect.Success<ReturnType<typeof makeSignalClient>>

/**
 * The Effect-native Signal client (`HttpApiClient` over `SignalApi`).
 *
 * ```ts
 * const program = Effect.gen(function*() {
 *   const signal = yield* SignalClient
 *   const tenant = yield* signal.tenant.upsert({ payload: { identifier: "acme", name: "Acme" } })
 * }).pipe(Effect.provide(SignalClient.layerFetch({ endpoint: "http://127.0.0.1:25050" })))
 * ```
 */
export class SignalClient extends Context.Tag("@signal/client/SignalClient")<SignalClient, SignalHttpClient>() {
  /** Needs an `HttpClient` (e.g. `FetchHttpClient.layer`). */
  static readonly layer = (options: SignalClientOptions): Layer.Layer<SignalClient, never, HttpClient.HttpClient> =>
    Layer.effect(SignalClient, makeSignalClient(options))

  /** The same, with `fetch` as the transport. */
  static readonly layerFetch = (options: SignalClientOptions): Layer.Layer<SignalClient> =>
    SignalClient.layer(options).pipe(Layer.provide(FetchHttpClient.layer))

  /** Reads `SIGNAL_ENDPOINT` (default http://127.0.0.1:25050) and `SIGNAL_API_KEY`. */
  static readonly layerConfig: Layer.Layer<SignalClient, never, HttpClient.HttpClient> = Layer.effect(
    SignalClient,
    Effect.gen(function*() {
      const endpoint = yield* Config.string("SIGNAL_ENDPOINT").pipe(Config.withDefault(DEFAULT_ENDPOINT))
      const apiKey = yield* Config.option(Config.redacted("SIGNAL_API_KEY"))
      return yield* makeSignalClient({ endpoint, apiKey: Option.getOrUndefined(apiKey) })
    }).pipe(Effect.orDie)
  )
}
