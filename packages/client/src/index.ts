/**
 * @signal/client: the Signal API from any runtime with `fetch`. `verifyWebhook` (node:crypto) is
 * exported from `@signal/client/verifyWebhook`, and from the main entry on Node, Deno and Bun (`./node`).
 */
export { createSignalClient, type CreateSignalClientOptions, type SignalPromiseClient } from "./createSignalClient"
export {
  DEFAULT_ENDPOINT,
  makeSignalClient,
  normalizeEndpoint,
  SignalClient,
  type SignalClientOptions,
  type SignalHttpClient
} from "./SignalClient"
export {
  invalidRequest,
  isSignalClientError,
  type ContractError,
  type SignalApiFailure,
  SignalClientError,
  toSignalClientError
} from "./SignalClientError"
export { makeJsonApi, SignalJsonClient, type SignalJsonApi } from "./SignalJsonClient"
export type * from "./Types"
export { operations, type Operation, pathAliases } from "./Operations"
