import { describe, expect, it } from "vitest"
import { ID_BODY_LENGTH, idPattern, makeId, newIdBody, writeIdBody } from "../src/Ids"

const CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"

/** The millisecond an id body's first 48 bits hold. */
const timeOf = (body: string) => {
  let bits = 0n
  for (const char of body.slice(0, 10)) bits = (bits << 5n) | BigInt(CROCKFORD.indexOf(char))
  return Number(bits >> 2n)
}

describe("ids", () => {
  it("are 26 Crockford characters: the millisecond they were made, then random bits", () => {
    const before = Date.now()
    const bodies = Array.from({ length: 2_000 }, () => newIdBody())
    const after = Date.now()
    for (const body of bodies) {
      expect(body).toMatch(/^[0-9a-hjkmnp-tv-z]{26}$/)
      expect(timeOf(body)).toBeGreaterThanOrEqual(before)
      expect(timeOf(body)).toBeLessThanOrEqual(after)
    }
    expect(new Set(bodies).size).toBe(bodies.length)
    expect(bodies.map(timeOf)).toEqual(bodies.map(timeOf).sort((a, b) => a - b))
    expect(makeId.event()).toMatch(idPattern("evt"))
  })

  it("are written as ASCII into bytes at an offset, touching nothing around them", () => {
    const bytes = new Uint8Array(ID_BODY_LENGTH + 8).fill(0xff)
    writeIdBody(bytes, 4)
    expect([...bytes.subarray(0, 4), ...bytes.subarray(4 + ID_BODY_LENGTH)]).toEqual(new Array(8).fill(0xff))
    const body = String.fromCharCode(...bytes.subarray(4, 4 + ID_BODY_LENGTH))
    expect(body).toMatch(/^[0-9a-hjkmnp-tv-z]{26}$/)
    expect(Math.abs(timeOf(body) - Date.now())).toBeLessThan(5_000)
  })
})
