/**
 * The API's operations, read from the `SignalApi` contract: what the JSON client, the Promise
 * client and the CLI are built from. Nothing here lists an endpoint; a new contract entry shows up
 * in every client by itself.
 *
 * Each operation takes one flat object (the seed-000 shape): path parameters by their client name,
 * query parameters, and the body's fields, all side by side.
 */
import type * as HttpApi from "@effect/platform/HttpApi"
import type * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import type * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as OpenApi from "@effect/platform/OpenApi"
import { operationDocs } from "@signal/domain/ApiDocs"
import type * as Analytics from "@signal/domain/Analytics"
import type * as ApiKey from "@signal/domain/ApiKey"
import type * as DeliveryAttempt from "@signal/domain/DeliveryAttempt"
import type * as DeliveryIntent from "@signal/domain/DeliveryIntent"
import type * as Destination from "@signal/domain/Destination"
import type * as Event from "@signal/domain/Event"
import type * as Sender from "@signal/domain/Sender"
import type * as Tenant from "@signal/domain/Tenant"
import { SignalApi } from "@signal/domain/SignalApi"
import { type Brand, Context, type DateTime, Either, Option, Schema, SchemaAST as AST } from "effect"

/**
 * Path parameters whose client name is longer than the route's (`eventDestinationId` reads better
 * in `{ tenantId, eventDestinationId }` than `destinationId`, and is what clients already send).
 */
export const pathAliases = {
  destinationId: "eventDestinationId",
  intentId: "eventDeliveryIntentId",
  attemptId: "eventDeliveryAttemptId",
  keyId: "apiKeyId"
} as const
type PathAliases = typeof pathAliases

/** The client name of a path parameter. */
export const pathInputName = (wire: string): string => (pathAliases as Record<string, string>)[wire] ?? wire

// ---------------------------------------------------------------------------------------------
// Types: the plain JSON shapes of each operation, computed from the contract.

/** One value or several. */
export type Many<A> = A | ReadonlyArray<A>

/** A decoded value as JSON carries it: dates as ISO strings, ids as plain strings. */
export type Wire<T> = unknown extends T ? T
  : T extends DateTime.DateTime ? string
  : T extends Brand.Brand<any> ? (T extends string ? string : T extends number ? number : T)
  : T extends string | number | boolean | null | undefined ? T
  : T extends ReadonlyArray<infer X> ? ReadonlyArray<Wire<X>>
  : T extends object ? { readonly [K in keyof T as K extends string ? T[K] extends Function ? never : K : never]: Wire<T[K]> }
  : T

// The domain modules whose schemas request bodies use, so that a body's decoded type can be traced
// back to the schema that decodes it and its encoded side (fields with defaults optional) offered
// as the input. A body from a module not named here is typed from its decoded side instead.
type Domain = {
  Analytics: typeof Analytics
  ApiKey: typeof ApiKey
  DeliveryAttempt: typeof DeliveryAttempt
  DeliveryIntent: typeof DeliveryIntent
  Destination: typeof Destination
  Event: typeof Event
  Sender: typeof Sender
  Tenant: typeof Tenant
}
type DomainSchemas = {
  [NS in keyof Domain]: {
    [K in keyof Domain[NS]]: Domain[NS][K] extends Schema.Schema<infer _A, infer _I, never> ? Domain[NS][K] : never
  }[keyof Domain[NS]]
}[keyof Domain]

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false

type EncodedOf<T> = [
  DomainSchemas extends infer S ? S extends Schema.Schema<infer A, infer I, never> ? Same<A, T> extends true ? I : never : never
    : never
] extends [infer Found] ? [Found] extends [never] ? Wire<T> : Found : never

/** A request body's input: its schema's encoded side, fields with defaults optional. */
export type PayloadInput<P> = [P] extends [never] ? {}
  : null extends P ? Partial<EncodedOf<NonNullable<P>>> // no body at all is allowed: every field may be left out
  : EncodedOf<P>

export type PathInput<P> = [P] extends [never] ? {}
  : { readonly [K in keyof P as K extends keyof PathAliases ? PathAliases[K] : K]: string }

type UrlValue<V> = V extends ReadonlyArray<infer X> ? Many<Wire<X>>
  : V extends number ? number | string
  : V extends DateTime.DateTime ? string | Date
  : Wire<V>

/** Query parameters: all optional; numbers and dates as such, lists as one value or several. */
export type UrlInput<U> = [U] extends [never] ? {}
  : { readonly [K in keyof U]?: UrlValue<NonNullable<U[K]>> | null | undefined }

type Simplify<A> = { [K in keyof A]: A[K] } & {}

export type OperationInput<E extends HttpApiEndpoint.HttpApiEndpoint.Any> = Simplify<
  & PathInput<HttpApiEndpoint.HttpApiEndpoint.PathParsed<E>>
  & UrlInput<HttpApiEndpoint.HttpApiEndpoint.UrlParams<E>>
  & PayloadInput<HttpApiEndpoint.HttpApiEndpoint.Payload<E>>
>
export type OperationOutput<E extends HttpApiEndpoint.HttpApiEndpoint.Any> = Wire<HttpApiEndpoint.HttpApiEndpoint.Success<E>>

type Groups = typeof SignalApi extends HttpApi.HttpApi<infer _Id, infer G, infer _E, infer _R> ? G : never
type TopLevel<G> = G extends HttpApiGroup.HttpApiGroup<infer _N, infer _E, infer _Err, infer _R, infer T> ? T : never

type GroupTable<G> = {
  readonly [E in HttpApiGroup.HttpApiGroup.Endpoints<G> as HttpApiEndpoint.HttpApiEndpoint.Name<E>]: readonly [
    OperationInput<E>,
    OperationOutput<E>
  ]
}
type TopLevelTables<G> = G extends unknown ? TopLevel<G> extends true ? GroupTable<G> : never : never
type UnionToIntersection<U> = (U extends unknown ? (k: U) => void : never) extends (k: infer I) => void ? I : never

/**
 * Every operation of the contract as `[input, output]`, grouped like the contract
 * (`eventDestination.create`), the top-level group's (`health`, `ready`) at the root.
 */
export type Operations = Simplify<
  & { readonly [G in Groups as TopLevel<G> extends true ? never : HttpApiGroup.HttpApiGroup.Name<G>]: GroupTable<G> }
  & UnionToIntersection<TopLevelTables<Groups>>
>

/** `(input) => R`; the input may be left out when nothing in it is required. */
export type Method<I, R> = {} extends I ? (input?: I) => R : (input: I) => R

// ---------------------------------------------------------------------------------------------
// Runtime: the same operations as data.

export interface Operation {
  /** `eventDestination`, or `undefined` for the top-level group's (health). */
  readonly group: string | undefined
  readonly name: string
  /** `eventDestination.create`, `health`. */
  readonly id: string
  readonly method: string
  readonly path: string
  /** What the operation does, in a line, as the API documents it. */
  readonly summary: string | undefined
  readonly endpoint: HttpApiEndpoint.HttpApiEndpoint.AnyWithProps
  /** Path parameters: the route's name and the client's. */
  readonly pathParams: ReadonlyArray<{ readonly wire: string; readonly input: string }>
  /** Query parameters, and which of them carry lists. */
  readonly urlParams: ReadonlyArray<{ readonly name: string; readonly list: boolean }>
  /** The body's top-level field names (empty when it has none or is not an object). */
  readonly payloadFields: ReadonlyArray<string>
  readonly hasPayload: boolean
  /** The body may be absent (`null`): nothing given sends nothing. */
  readonly payloadNullable: boolean
}

const fieldsOf = (schema: Schema.Schema.Any): ReadonlyArray<AST.PropertySignature> => {
  const ast = AST.encodedAST(schema.ast)
  const members = AST.isUnion(ast) ? ast.types : [ast]
  return members.flatMap((member) => (AST.isTypeLiteral(member) ? member.propertySignatures : []))
}

const carriesList = (ast: AST.AST): boolean =>
  AST.isTupleType(ast) || (AST.isUnion(ast) && ast.types.some(carriesList))

const operationOf = (group: HttpApiGroup.HttpApiGroup.AnyWithProps, endpoint: HttpApiEndpoint.HttpApiEndpoint.AnyWithProps): Operation => {
  const payload = Option.getOrUndefined(endpoint.payloadSchema) as Schema.Schema.Any | undefined
  return {
    group: group.topLevel ? undefined : group.identifier,
    name: endpoint.name,
    id: group.topLevel ? endpoint.name : `${group.identifier}.${endpoint.name}`,
    method: endpoint.method,
    path: endpoint.path,
    summary: Option.getOrUndefined(
      Option.orElse(
        Context.getOption(endpoint.annotations, OpenApi.Summary),
        () => Option.fromNullable(operationDocs[group.topLevel ? endpoint.name : `${group.identifier}.${endpoint.name}`]?.summary)
      )
    ),
    endpoint,
    pathParams: Option.match(endpoint.pathSchema, {
      onNone: () => [],
      onSome: (schema) => fieldsOf(schema).map((p) => ({ wire: String(p.name), input: pathInputName(String(p.name)) }))
    }),
    urlParams: Option.match(endpoint.urlParamsSchema, {
      onNone: () => [],
      onSome: (schema) => fieldsOf(schema).map((p) => ({ name: String(p.name), list: carriesList(p.type) }))
    }),
    payloadFields: payload === undefined ? [] : [...new Set(fieldsOf(payload).map((p) => String(p.name)))],
    hasPayload: payload !== undefined,
    payloadNullable: payload !== undefined && Either.isRight(Schema.decodeUnknownEither(payload as Schema.Schema<unknown, unknown>)(null))
  }
}

/** Every operation of `SignalApi`, in the contract's order. */
export const operations: ReadonlyArray<Operation> = Object.values(
  SignalApi.groups as unknown as Record<string, HttpApiGroup.HttpApiGroup.AnyWithProps>
).flatMap((group) => Object.values(group.endpoints).map((endpoint) => operationOf(group, endpoint)))

/** Builds a client object shaped like the contract: `{ tenant: { upsert, get }, …, health, ready }`. */
export const buildClient = <C>(method: (operation: Operation) => (input?: unknown) => unknown): C => {
  const client: Record<string, unknown> = {}
  for (const operation of operations) {
    if (operation.group === undefined) {
      client[operation.name] = method(operation)
    } else {
      const group = (client[operation.group] ??= {}) as Record<string, unknown>
      group[operation.name] = method(operation)
    }
  }
  return client as C
}

/** The member of a client built by `buildClient` that runs `operation`. */
export const methodOf = <F>(client: object, operation: Operation): F =>
  (operation.group === undefined ? client : (client as Record<string, Record<string, unknown>>)[operation.group]!)[
    operation.name as never
  ] as F

const wireValue = (value: unknown): unknown =>
  value instanceof Date ? value.toISOString() : typeof value === "number" || typeof value === "boolean" ? String(value) : value

const definedEntries = (record: object) => Object.entries(record).filter(([, value]) => value !== undefined)

/**
 * Splits one flat input into the request's parts in their encoded (JSON) form; the contract's
 * schemas then decode each part, so mistakes are found before anything is sent.
 */
export const requestParts = (operation: Operation, input: unknown) => {
  const record = (typeof input === "object" && input !== null ? input : {}) as Record<string, unknown>
  const taken = new Set<string>()
  const path: Record<string, unknown> = {}
  for (const { input: name, wire } of operation.pathParams) {
    taken.add(name)
    path[wire] = record[name]
  }
  const urlParams: Record<string, unknown> = {}
  for (const { list, name } of operation.urlParams) {
    taken.add(name)
    const value = record[name]
    if (value === undefined || value === null) continue
    urlParams[name] = Array.isArray(value) ? value.map(wireValue) : list ? [wireValue(value)] : wireValue(value)
  }
  const body = Object.fromEntries(definedEntries(record).filter(([key]) => !taken.has(key)))
  const payload = !operation.hasPayload
    ? undefined
    : operation.payloadNullable && Object.keys(body).length === 0
    ? null
    : body
  return { path, urlParams, payload }
}

/** The schema of each request part, when the operation has it. */
export const partSchemas = (operation: Operation) => ({
  path: Option.getOrUndefined(operation.endpoint.pathSchema) as Schema.Schema<unknown, unknown> | undefined,
  urlParams: Option.getOrUndefined(operation.endpoint.urlParamsSchema) as Schema.Schema<unknown, unknown> | undefined,
  payload: Option.getOrUndefined(operation.endpoint.payloadSchema) as Schema.Schema<unknown, unknown> | undefined,
  success: operation.endpoint.successSchema as Schema.Schema<unknown, unknown>
})
