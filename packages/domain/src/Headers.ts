import { Schema } from "effect"

export const MAX_HEADERS = 50

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$/

// eslint-disable-next-line no-control-regex
const HeaderValue = Schema.String.pipe(Schema.maxLength(4096), Schema.pattern(/^[^\r\n\u0000]*$/, {
  message: () => "header values must not contain line breaks"
}))

/**
 * Custom HTTP headers carried to the receiver. Names are checked by a filter, not by a refined
 * record key: a refined key would silently drop the invalid names instead of refusing them.
 */
export const CustomHeaders = Schema.Record({ key: Schema.String, value: HeaderValue }).pipe(
  Schema.filter((record) => {
    const names = Object.keys(record)
    const invalid = names.find((name) => !HEADER_NAME.test(name))
    if (invalid !== undefined) return `invalid header name: ${JSON.stringify(invalid)}`
    return names.length <= MAX_HEADERS || `at most ${MAX_HEADERS} headers`
  })
)
export type CustomHeaders = typeof CustomHeaders.Type
