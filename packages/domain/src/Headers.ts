import { Schema } from "effect"

export const MAX_HEADERS = 50

const HeaderName = Schema.String.pipe(
  Schema.pattern(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$/, { message: () => "invalid header name" })
)
// eslint-disable-next-line no-control-regex
const HeaderValue = Schema.String.pipe(Schema.maxLength(4096), Schema.pattern(/^[^\r\n\u0000]*$/, {
  message: () => "header values must not contain line breaks"
}))

/** Custom HTTP headers carried to the receiver. */
export const CustomHeaders = Schema.Record({ key: HeaderName, value: HeaderValue }).pipe(
  Schema.filter((record) => Object.keys(record).length <= MAX_HEADERS || `at most ${MAX_HEADERS} headers`)
)
export type CustomHeaders = typeof CustomHeaders.Type
