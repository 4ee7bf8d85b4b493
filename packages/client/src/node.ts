/** The main entry on server runtimes (Node, Deno, Bun): everything, plus webhook verification. */
export * from "./index"
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
