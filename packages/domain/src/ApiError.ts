import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import { Schema } from "effect"

/** Every client mistake answers with a stable `code`, a readable `message` and optional `details`. */
export class BadRequest extends Schema.TaggedError<BadRequest>()(
  "BadRequest",
  {
    code: Schema.String,
    message: Schema.String,
    details: Schema.optional(Schema.Unknown)
  },
  HttpApiSchema.annotations({ status: 400 })
) {}

export class NotFound extends Schema.TaggedError<NotFound>()(
  "NotFound",
  {
    code: Schema.Literal("not_found"),
    message: Schema.String
  },
  HttpApiSchema.annotations({ status: 404 })
) {
  static of(kind: string, id: string) {
    return new NotFound({ code: "not_found", message: `${kind} ${id} not found` })
  }
}

export class PayloadTooLarge extends Schema.TaggedError<PayloadTooLarge>()(
  "PayloadTooLarge",
  {
    code: Schema.Literal("payload_too_large"),
    message: Schema.String
  },
  HttpApiSchema.annotations({ status: 413 })
) {}

export class Conflict extends Schema.TaggedError<Conflict>()(
  "Conflict",
  {
    code: Schema.String,
    message: Schema.String
  },
  HttpApiSchema.annotations({ status: 409 })
) {}

/** The database (or another dependency) is unreachable: retry later. */
export class ServiceUnavailable extends Schema.TaggedError<ServiceUnavailable>()(
  "ServiceUnavailable",
  {
    code: Schema.Literal("unavailable"),
    message: Schema.String
  },
  HttpApiSchema.annotations({ status: 503 })
) {}

/** No credentials, or credentials Signal does not accept (unknown or revoked key). */
export class Unauthorized extends Schema.TaggedError<Unauthorized>()(
  "Unauthorized",
  {
    code: Schema.Literal("unauthorized"),
    message: Schema.String
  },
  HttpApiSchema.annotations({ status: 401 })
) {}

/** The key sent more requests than its rate allows; `retryAfterSeconds` is also sent as `Retry-After`. */
export class RateLimited extends Schema.TaggedError<RateLimited>()(
  "RateLimited",
  {
    code: Schema.Literal("rate_limited"),
    message: Schema.String,
    retryAfterSeconds: Schema.Number
  },
  HttpApiSchema.annotations({ status: 429 })
) {}

/** Too many request headers, or a header block over Node's 16 KiB (answered by the server before the API). */
export class HeadersTooLarge extends Schema.TaggedError<HeadersTooLarge>()(
  "HeadersTooLarge",
  {
    code: Schema.Literal("headers_too_large"),
    message: Schema.String
  },
  HttpApiSchema.annotations({ status: 431 })
) {}

/** A request body that is not JSON (the only format the API reads). */
export class UnsupportedMediaType extends Schema.TaggedError<UnsupportedMediaType>()(
  "UnsupportedMediaType",
  {
    code: Schema.Literal("unsupported_media_type"),
    message: Schema.String
  },
  HttpApiSchema.annotations({ status: 415 })
) {}
