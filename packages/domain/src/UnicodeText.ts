/**
 * Text must be well-formed Unicode. JSON can carry half of a UTF-16 surrogate pair as an escape
 * (`"\ud800"`), which no UTF-8 store can hold: Postgres refuses it in JSON and turns it into U+FFFD
 * in text, so a key, type or topic would come back different from what was sent.
 */

/** `\uD800`–`\uDBFF` or `\uDC00`–`\uDFFF` at `at` (the backslash), as 1, 2 or 0. */
const surrogateEscape = (json: string, at: number): 0 | 1 | 2 => {
  if (json.charCodeAt(at + 1) !== 117 /* u */) return 0
  const unit = Number.parseInt(json.slice(at + 2, at + 6), 16)
  return unit >= 0xd800 && unit <= 0xdbff ? 1 : unit >= 0xdc00 && unit <= 0xdfff ? 2 : 0
}

/** `\uD800`–`\uDFFF`, perhaps behind an escaped backslash (`\\ud800`, which the scan below tells apart). */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/

/**
 * Whether JSON text escapes a lone surrogate anywhere. Text without any surrogate escape costs one
 * regular-expression search (a quarter of walking its escapes, which a `payloadJson` is full of).
 */
export const hasLoneSurrogateEscape = (json: string): boolean => {
  if (!SURROGATE_ESCAPE.test(json)) return false
  for (let at = json.indexOf("\\"); at !== -1; at = json.indexOf("\\", at)) {
    const kind = surrogateEscape(json, at)
    if (kind === 2) return true
    if (kind === 1) {
      if (json.charCodeAt(at + 6) !== 92 /* \ */ || surrogateEscape(json, at + 6) !== 2) return true
      at += 12
    } else {
      // any other escape, `\\` included, is two characters or more: skip both so `\\ud800` is not read as one
      at += 2
    }
  }
  return false
}

/** In a `u` regular expression a surrogate pair is one code point: what still matches is half of one. */
const LONE_SURROGATE = /\p{Cs}/u

/** Where in a parsed JSON value the first key or string with a lone surrogate is, or `undefined`. */
export const loneSurrogatePath = (value: unknown, path: ReadonlyArray<PropertyKey> = []): ReadonlyArray<PropertyKey> | undefined => {
  if (typeof value === "string") return LONE_SURROGATE.test(value) ? path : undefined
  if (typeof value !== "object" || value === null) return undefined
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = loneSurrogatePath(value[i], [...path, i])
      if (found !== undefined) return found
    }
    return undefined
  }
  for (const key in value) {
    if (LONE_SURROGATE.test(key)) return [...path, key]
    const found = loneSurrogatePath((value as Record<string, unknown>)[key], [...path, key])
    if (found !== undefined) return found
  }
  return undefined
}

/** The sentence for a field that holds one. */
export const loneSurrogateMessage = "must be valid Unicode (it contains half of a UTF-16 surrogate pair)"
