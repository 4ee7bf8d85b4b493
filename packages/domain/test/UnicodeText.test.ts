import { describe, expect, it } from "vitest"
import { hasLoneSurrogateEscape, loneSurrogatePath } from "../src/UnicodeText"

describe("hasLoneSurrogateEscape", () => {
  it("finds half of a surrogate pair escaped anywhere in JSON text", () => {
    for (const lone of ["\\ud800", "\\uDBFF", "\\udc00", "\\uDFFF"]) {
      expect(hasLoneSurrogateEscape(`{"a":"${lone}"}`), lone).toBe(true)
      expect(hasLoneSurrogateEscape(`{"a":"x${lone}y"}`), lone).toBe(true)
    }
    // a high half followed by anything but a low one, or nothing
    expect(hasLoneSurrogateEscape(`["\\ud800\\u0041"]`)).toBe(true)
    expect(hasLoneSurrogateEscape(`["\\ud800\\ud800\\udc00"]`)).toBe(true)
    expect(hasLoneSurrogateEscape(`"\\ud800`)).toBe(true)
    // a low half after a whole pair
    expect(hasLoneSurrogateEscape(`["\\ud83d\\ude00\\ude00"]`)).toBe(true)
    // a real escape after an escaped backslash
    expect(hasLoneSurrogateEscape(`["\\\\\\ud800"]`)).toBe(true)
  })

  it("leaves whole pairs, other escapes and escaped backslashes alone", () => {
    for (const fine of [
      `{}`,
      `{"a":"plain"}`,
      `["\\ud83d\\ude00"]`,
      `["\\uD83D\\uDE00 and \\u00e9 and \\n"]`,
      `["\\\\ud800"]`,
      `["\\\\\\\\ud800"]`,
      JSON.stringify({ payloadJson: JSON.stringify({ text: "\ud800" }) }),
      JSON.stringify({ text: "😀" })
    ]) {
      expect(hasLoneSurrogateEscape(fine), fine).toBe(false)
    }
  })
})

describe("loneSurrogatePath", () => {
  it("names the first key or string that holds half of a pair", () => {
    expect(loneSurrogatePath({ a: "ok", b: [1, { c: "x\ud800" }] })).toEqual(["b", 1, "c"])
    expect(loneSurrogatePath({ a: { ["k\udfff"]: 1 } })).toEqual(["a", "k\udfff"])
    expect(loneSurrogatePath("\udc00")).toEqual([])
    expect(loneSurrogatePath({ a: "😀", b: ["\ud83d\ude00"], c: null, d: 1 })).toBeUndefined()
  })
})
