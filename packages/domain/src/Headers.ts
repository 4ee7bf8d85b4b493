import { Schema } from "effect"

export const MAX_HEADERS = 50

const MAX_VALUE_LENGTH = 4096

/** RFC 9110 `token`: what a field name may be. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$/

/**
 * RFC 9110 `field-value` as Node's HTTP stack enforces it when sending: visible ASCII, space and tab,
 * and obs-text (U+0080–U+00FF, sent as single bytes). Anything else (line breaks, NUL, characters
 * beyond Latin-1 such as "€") would make the request throw at delivery time.
 */
// eslint-disable-next-line no-control-regex
const FIELD_VALUE = /^[\t\u0020-\u007e\u0080-\u00ff]*$/

/**
 * Fields that frame the message or belong to one connection (RFC 9110 §7.6.1, §8.6, §10.1.1): the HTTP
 * client sets them for each request itself, and undici refuses a request that carries most of them,
 * so every delivery of a destination or event with one would fail.
 */
const CONNECTION_FIELDS = new Set([
  "connection",
  "content-length",
  "expect",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade"
])

/** Why a header cannot be sent as given, or `undefined` when it can. */
const headerProblem = (name: string, value: string): string | undefined => {
  if (!HEADER_NAME.test(name)) return `invalid header name: ${JSON.stringify(name)}`
  if (CONNECTION_FIELDS.has(name.toLowerCase())) {
    return `header ${name} is set by HTTP for each request and cannot be given`
  }
  if (value.length > MAX_VALUE_LENGTH) return `header ${name} is longer than ${MAX_VALUE_LENGTH} characters`
  if (!FIELD_VALUE.test(value)) {
    const offending = [...value].find((char) => !FIELD_VALUE.test(char)) ?? ""
    const codePoint = `U+${(offending.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`
    return `header ${name} has a value HTTP cannot carry (character ${codePoint}); ` +
      "only visible ASCII, space, tab and Latin-1 characters are allowed"
  }
  return undefined
}

/**
 * Custom HTTP headers carried to the receiver. Names and values are checked by a filter, not by
 * refined record keys and values: a refined key would silently drop invalid names, and a message
 * from here can name the offending header.
 */
export const CustomHeaders = Schema.Record({ key: Schema.String, value: Schema.String }).pipe(
  Schema.filter((record) => {
    const entries = Object.entries(record)
    if (entries.length > MAX_HEADERS) return `at most ${MAX_HEADERS} headers`
    for (const [name, value] of entries) {
      const problem = headerProblem(name, value)
      if (problem !== undefined) return problem
    }
    return true
  })
)
export type CustomHeaders = typeof CustomHeaders.Type
