import { describe, expect, it } from "vitest"
import { jsonArrayBytes } from "../src/JsonArrayBytes"

describe("jsonArrayBytes", () => {
  it("joins JSON texts as the UTF-8 bytes of the joined string, whatever their characters", () => {
    const texts = [`{"a":"é"}`, `"😀 ∑ 中文"`, "null", `{"nested":[1,{"x":"\\u00e9\\""}]}`]
    const bytes = jsonArrayBytes(texts.length, (i) => texts[i])
    expect(bytes.equals(Buffer.from(`[${texts.join(",")}]`))).toBe(true)
    expect(JSON.parse(bytes.toString("utf8"))).toEqual(texts.map((text) => JSON.parse(text)))
  })

  it("wraps texts in the given envelope, and an empty list in it alone", () => {
    const texts = [`{"id":1}`, `{"id":2}`]
    expect(jsonArrayBytes(texts.length, (i) => texts[i], `{"items":[`, "]}").toString()).toBe(`{"items":[{"id":1},{"id":2}]}`)
    expect(jsonArrayBytes(0, () => "unused", `{"items":[`, "]}").toString()).toBe(`{"items":[]}`)
    expect(jsonArrayBytes(1, () => "true").toString()).toBe("[true]")
  })
})
