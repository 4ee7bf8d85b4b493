import { FetchHttpClient } from "@effect/platform"
import { Cause, Effect, Exit, Layer, ManagedRuntime } from "effect"
import { SignalClient, type SignalClientOptions } from "./SignalClient"
import { SignalClientError } from "./SignalClientError"
import { SignalJsonClient } from "./SignalJsonClient"
import type { Operations } from "./Types"

export interface CreateSignalClientOptions {
  /** Base URL of the Signal API, e.g. `http://localhost:25050`. */
  readonly endpoint: string
  /** Sent as `Authorization: Bearer <apiKey>` when given. */
  readonly apiKey?: string | undefined
  /** Extra headers sent with every request. */
  readonly headers?: Readonly<Record<string, string>> | undefined
}

/** Every operation as `(input) => Promise<output>`; rejections are `SignalClientError`s. */
export type SignalPromiseClient = {
  readonly [G in keyof Operations]: {
    readonly [M in keyof Operations[G]]: Operations[G][M] extends [infer I, infer O] ? (input: I) => Promise<O> : never
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

  return {
    tenant: {
      upsert: (input) => run((api) => api.tenant.upsert(input)),
      get: (input) => run((api) => api.tenant.get(input))
    },
    sender: {
      upsert: (input) => run((api) => api.sender.upsert(input)),
      get: (input) => run((api) => api.sender.get(input))
    },
    eventDestination: {
      create: (input) => run((api) => api.eventDestination.create(input)),
      list: (input) => run((api) => api.eventDestination.list(input)),
      get: (input) => run((api) => api.eventDestination.get(input)),
      update: (input) => run((api) => api.eventDestination.update(input)),
      delete: (input) => run((api) => api.eventDestination.delete(input)),
      rotateSecret: (input) => run((api) => api.eventDestination.rotateSecret(input))
    },
    event: {
      create: (input) => run((api) => api.event.create(input)),
      createBatch: (input) => run((api) => api.event.createBatch(input)),
      get: (input) => run((api) => api.event.get(input)),
      list: (input) => run((api) => api.event.list(input))
    },
    eventDeliveryIntent: {
      list: (input) => run((api) => api.eventDeliveryIntent.list(input)),
      get: (input) => run((api) => api.eventDeliveryIntent.get(input)),
      retry: (input) => run((api) => api.eventDeliveryIntent.retry(input))
    },
    eventDeliveryAttempt: {
      list: (input) => run((api) => api.eventDeliveryAttempt.list(input)),
      get: (input) => run((api) => api.eventDeliveryAttempt.get(input))
    },
    analytics: {
      tenant: (input) => run((api) => api.analytics.tenant(input)),
      destination: (input) => run((api) => api.analytics.destination(input))
    },
    apiKey: {
      create: (input) => run((api) => api.apiKey.create(input)),
      list: (input) => run((api) => api.apiKey.list(input)),
      revoke: (input) => run((api) => api.apiKey.revoke(input))
    }
  }
}
