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
export {
  assertWebhook,
  inspectWebhook,
  verifyWebhook,
  verifyWebhookEffect,
  type VerifyWebhookOptions,
  type WebhookHeaders,
  type WebhookScheme,
  type WebhookVerification,
  type WebhookVerificationFailure,
  WebhookVerificationError
} from "./verifyWebhook"
