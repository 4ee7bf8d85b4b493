import { makeId, type SenderId, type TenantId } from "@signal/domain/Ids"
import {
  MAX_TEST_TIMEOUT_SECONDS,
  TEST_SENDER_ID,
  type TestDelivery,
  TestSender,
  TestSendResult
} from "@signal/domain/TestSend"
import type { ClaimedIntent } from "@signal/store/DeliveryQueue"
import { Clock, DateTime, Effect, Layer } from "effect"
import { failedSend, HttpSender } from "./HttpSender"
import { requestTemplate, webhookRequest } from "./WebhookRequest"

/**
 * Test sends through the same request building, signing, SSRF guard and HTTP client as deliveries,
 * so what a receiver sees from a test is what it will see from real events. Nothing is stored: the
 * sample event and its `webhook-id` exist only in the request (marked with `x-signal-test: true`).
 */
export const layer = Layer.effect(
  TestSender,
  Effect.gen(function*() {
    const sender = yield* HttpSender
    const send = Effect.fn("TestDelivery.send")(function*({ destination, previousSecrets, request }: TestDelivery) {
      const target = yield* sender.target(destination.variant.url)
      const startedAt = new Date(yield* Clock.currentTimeMillis)
      const sample: ClaimedIntent = {
        intentId: makeId.intent(),
        tenantId: destination.tenantId as TenantId,
        eventId: makeId.event(),
        destinationId: destination.id,
        attemptNumber: 1,
        leaseOwner: "test",
        traceparent: null,
        event: {
          senderId: destination.senderId ?? (TEST_SENDER_ID as SenderId),
          type: request.eventType,
          topics: [],
          payloadJson: JSON.stringify(request.payload),
          headers: { "x-signal-test": "true" },
          createdAt: startedAt.toISOString(),
          expiresAt: null
        }
      }
      const template = requestTemplate({ ...destination, previousSecrets }, target)
      const webhook = webhookRequest(template, sample, startedAt.getTime())
      yield* Effect.annotateCurrentSpan({ "signal.destination_id": destination.id, "signal.test": true })
      const result = yield* Effect.suspend(() =>
        sender.send({ ...webhook, timeoutMs: Math.min(webhook.timeoutMs, MAX_TEST_TIMEOUT_SECONDS * 1000) })
      ).pipe(Effect.catchAllDefect((defect) => Effect.succeed(failedSend(defect))))
      const completedAt = new Date(yield* Clock.currentTimeMillis)
      return new TestSendResult({
        destinationId: destination.id,
        eventId: sample.eventId as TestSendResult["eventId"],
        eventType: request.eventType,
        webhookId: sample.intentId,
        url: webhook.url,
        status: result.ok ? "succeeded" : "failed",
        durationMs: Math.max(0, completedAt.getTime() - startedAt.getTime()),
        response: result.response,
        error: result.error,
        startedAt: DateTime.unsafeFromDate(startedAt),
        completedAt: DateTime.unsafeFromDate(completedAt)
      })
    })
    return TestSender.of({ send })
  })
)
