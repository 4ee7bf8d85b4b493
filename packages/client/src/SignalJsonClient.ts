import { Effect, Schema } from "effect"
import { buildClient, type Method, methodOf, type Operation, type Operations, partSchemas, requestParts } from "./Operations"
import { SignalClient, type SignalHttpClient } from "./SignalClient"
import { invalidRequest, type SignalClientError, toSignalClientError } from "./SignalClientError"

/** The contract's operations as Effects: plain JSON in, plain JSON out, `SignalClientError` on failure. */
export type SignalJsonApi = {
  readonly [K in keyof Operations]: Operations[K] extends readonly [infer I, infer O] ? Method<I, Effect.Effect<O, SignalClientError>>
    : {
      readonly [M in keyof Operations[K]]: Operations[K][M] extends readonly [infer I, infer O]
        ? Method<I, Effect.Effect<O, SignalClientError>>
        : never
    }
}

const decodePart = (schema: Schema.Schema<unknown, unknown> | undefined, value: unknown) =>
  schema === undefined ? Effect.succeed(undefined) : Schema.decodeUnknown(schema, { errors: "all" })(value)

/**
 * One operation over the typed client: the flat input is split into path, query and body, each
 * decoded with the contract's schema (so a bad input fails before anything is sent), and the
 * answer is encoded back to its JSON form (dates as ISO strings).
 */
const callOperation = (client: SignalHttpClient, operation: Operation) => {
  const schemas = partSchemas(operation)
  const send = methodOf<(request: unknown) => Effect.Effect<unknown, unknown>>(client, operation)
  return (input?: unknown): Effect.Effect<unknown, SignalClientError> => {
    const parts = requestParts(operation, input)
    return Effect.all({
      path: decodePart(schemas.path, parts.path),
      urlParams: decodePart(schemas.urlParams, parts.urlParams),
      payload: decodePart(schemas.payload, parts.payload)
    }).pipe(
      Effect.mapError(invalidRequest),
      Effect.flatMap((request) =>
        send(request).pipe(
          Effect.flatMap(Schema.encode(schemas.success)),
          Effect.catchAll((error) => Effect.flatMap(toSignalClientError(error), Effect.fail))
        )
      ),
      Effect.withSpan(`SignalClient.${operation.id}`)
    )
  }
}

/**
 * Wraps the typed `SignalClient` so it speaks plain JSON, one method per contract operation;
 * every failure becomes a `SignalClientError`.
 */
export const makeJsonApi = (client: SignalHttpClient): SignalJsonApi =>
  buildClient<SignalJsonApi>((operation) => callOperation(client, operation))

/**
 * The Signal API with plain JSON values, as an Effect service over `SignalClient`:
 * `SignalJsonClient.Default.pipe(Layer.provide(SignalClient.layerFetch({ endpoint })))`.
 */
export class SignalJsonClient extends Effect.Service<SignalJsonClient>()("@signal/client/SignalJsonClient", {
  effect: Effect.map(SignalClient, makeJsonApi)
}) {}
