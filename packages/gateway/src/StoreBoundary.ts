/**
 * Where handlers meet the store. A handler takes its repositories (and the gateway services built
 * on them) through `atStoreBoundary`, which maps every database failure of every method once:
 * 503 `unavailable` for a database that is away, 400 for text Postgres cannot store (see
 * `databaseUnavailable`). The handlers themselves never see a `SqlError`.
 */
import type { SqlError } from "@effect/sql/SqlError"
import type { BadRequest, ServiceUnavailable } from "@signal/domain/ApiError"
import { type Context, Effect } from "effect"
import { databaseUnavailable } from "./ApiErrors"

/** A service as handlers see it: each method's `SqlError` replaced by the contract's errors. */
export type AtStoreBoundary<S> = { readonly [K in keyof S]: Bounded<S[K]> }

type Bounded<F> = F extends (...args: infer A) => infer Out
  ? [Out] extends [Effect.Effect<infer _X, infer _E, infer _R>] ? (...args: A) => Effect.Effect<
      Effect.Effect.Success<Out>,
      Exclude<Effect.Effect.Error<Out>, SqlError> | ServiceUnavailable | BadRequest,
      Effect.Effect.Context<Out>
    >
  : F
  : F

/** Wraps every method of `service` that answers an Effect; other members pass through. */
export const storeBoundary = <S extends object>(service: S): AtStoreBoundary<S> =>
  new Proxy(service, {
    get: (target, key, receiver) => {
      const member = Reflect.get(target, key, receiver)
      if (typeof member !== "function") return member
      return (...args: Array<unknown>) => {
        const result = member.apply(target, args)
        return Effect.isEffect(result) ? databaseUnavailable(result) : result
      }
    }
  }) as unknown as AtStoreBoundary<S>

/** `yield* atStoreBoundary(TenantRepo)`: the service behind `tag`, its database failures mapped. */
export const atStoreBoundary = <I, S extends object>(tag: Context.Tag<I, S>): Effect.Effect<AtStoreBoundary<S>, never, I> =>
  Effect.map(tag, storeBoundary)
