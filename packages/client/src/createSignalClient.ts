import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { Cause, Effect, Exit, Layer, ManagedRuntime } from "effect"
import { SignalClient, type SignalClientOptions } from "./SignalClient"
import { SignalClientError } from "./SignalClientError"
import { SignalJsonClient } from "./SignalJsonClient"
import { buildClient, type Method, methodOf, type Operations } from "./Operations"

export interface CreateSignalClientOptions {
  /** Base URL of the Signal API, e.g. `http://localhost:25050`. */
  readonly endpoint: string
  /** Sent as `Authorization: Bearer <apiKey>` when given. */
  readonly apiKey?: string | undefined
  /** Extra headers sent with every request. */
  readonly headers?: Readonly<Record<string, string>> | undefined
  /** Milliseconds a request waits for its answer (default 30 s); past it, a `network_error`. */
  readonly timeoutMs?: number | undefined
}

/** Every operation as `(input) => Promise<output>`; rejections are `SignalClientError`s. */
export type SignalPromiseClient = {
  readonly [K in keyof Operations]: Operations[K] extends readonly [infer I, infer O] ? Method<I, Promise<O>>
    : {
      readonly [M in keyof Operations[K]]: Operations[K][M] extends readonly [infer I, infer O] ? Method<I, Promise<O>> : never
    }
}

const asClientError = (cause: Cause.Cause<SignalClientError>): SignalClientError => {
  const squashed = Cause.squash(cause)
  if (squashed instanceof SignalClientError) return squashed
  if (Cause.isInterruptedOnly(cause)) {
    return new SignalClientError({ status: 0, code: "interrupted", message: "the request was interrupted", cause: squashed })
  }
  return new SignalClientError({
    status: 0,
    code: "client_error",
    message: squashed instanceof Error ? squashed.message : String(squashed),
    cause: squashed
  })
}

/**
 * A Promise client for the Signal API. Every method takes one object and resolves with the plain
 * JSON the server answered (dates as ISO strings).
 *
 * ```ts
 * const client = createSignalClient({ endpoint: "http://localhost:25050" })
 * const tenant = await client.tenant.upsert({ identifier: "my-app", name: "My Application" })
 * ```
 */
export const createSignalClient = (options: CreateSignalClientOptions): SignalPromiseClient => {
  const runtime = ManagedRuntime.make(
    SignalJsonClient.Default.pipe(
      Layer.provide(SignalClient.layer(options satisfies SignalClientOptions)),
      Layer.provide(FetchHttpClient.layer)
    )
  )

  const run = <A>(use: (api: SignalJsonClient) => Effect.Effect<A, SignalClientError>): Promise<A> =>
    runtime.runPromiseExit(Effect.flatMap(SignalJsonClient, use)).then(
      Exit.match({
        onSuccess: (value) => value,
        onFailure: (cause) => {
          throw asClientError(cause)
        }
      })
    )

  return buildClient<SignalPromiseClient>((operation) => (input) =>
    run((api) => methodOf<(input: unknown) => Effect.Effect<unknown, SignalClientError>>(api, operation)(input))
  )
}
