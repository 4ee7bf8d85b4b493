import { describe, expect, it } from "@effect/vitest"
import type { DestinationId, SenderId } from "../src/Ids"
import { matches, matchesPattern, patternProblem, routingTable, type RoutingTarget } from "../src/Routing"

const sender = "snd_0000000000" as SenderId

describe("wildcard patterns", () => {
  it("match whole segments; a trailing * takes one or more", () => {
    expect(matchesPattern("payment.created", "payment.created")).toBe(true)
    expect(matchesPattern("payment.created", "payment.failed")).toBe(false)
    expect(matchesPattern("payment.*", "payment.created")).toBe(true)
    expect(matchesPattern("payment.*", "payment.card.created")).toBe(true)
    expect(matchesPattern("payment.*", "payment")).toBe(false)
    expect(matchesPattern("payment.*", "payments.created")).toBe(false)
    expect(matchesPattern("*.failed", "payment.failed")).toBe(true)
    expect(matchesPattern("*.failed", "payment.card.failed")).toBe(false)
    expect(matchesPattern("payment.*.failed", "payment.card.failed")).toBe(true)
    expect(matchesPattern("payment.*.failed", "payment.failed")).toBe(false)
    expect(matchesPattern("*", "anything")).toBe(true)
    expect(matchesPattern("*", "any.thing.at.all")).toBe(true)
  })

  it("refuses partial-segment and empty-segment patterns", () => {
    expect(patternProblem("payment.*")).toBeUndefined()
    expect(patternProblem("plain.name")).toBeUndefined()
    expect(patternProblem("pay*")).toMatch(/whole segment/)
    expect(patternProblem("payment.*x")).toMatch(/whole segment/)
    expect(patternProblem("payment..*")).toMatch(/empty segments/)
  })
})

describe("routingTable", () => {
  // A pseudo-random but reproducible population, compared against the plain per-target predicate.
  let seed = 42
  const next = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31
    return seed % n
  }
  const words = ["payment", "order", "card", "created", "failed", "*"]
  const word = () => words[next(words.length)]
  const name = (wild: boolean) => {
    const length = 1 + next(3)
    const parts = Array.from({ length }, () => wild ? word() : words[next(words.length - 1)])
    return parts.join(".")
  }

  it("routes exactly as the per-destination predicate does", () => {
    const targets: Array<RoutingTarget> = Array.from({ length: 400 }, (_, i) => ({
      id: `dst_${String(i).padStart(10, "0")}` as DestinationId,
      senderId: next(5) === 0 ? "snd_1111111111" as SenderId : null,
      eventTypes: next(6) === 0 ? null : Array.from({ length: 1 + next(3) }, () => name(true)),
      topics: next(3) === 0 ? Array.from({ length: 1 + next(2) }, () => name(true)) : []
    }))
    const table = routingTable(targets)
    let routed = 0
    for (let i = 0; i < 500; i++) {
      const event = {
        senderId: next(2) === 0 ? sender : "snd_1111111111" as SenderId,
        type: name(false),
        topics: Array.from({ length: next(3) }, () => name(false))
      }
      const expected = targets.filter((target) => matches(target, event)).map((target) => target.id)
      expect(table.route(event)).toEqual(expected)
      routed += expected.length
    }
    expect(routed).toBeGreaterThan(500)
  })

  it("honours an event's own destination list", () => {
    const targets: Array<RoutingTarget> = [
      { id: "dst_aaaaaaaaaa" as DestinationId, senderId: null, eventTypes: ["*"], topics: [] },
      { id: "dst_bbbbbbbbbb" as DestinationId, senderId: null, eventTypes: null, topics: [] }
    ]
    expect(routingTable(targets).route({
      senderId: sender,
      type: "a.b",
      topics: [],
      onlyForDestinations: ["dst_bbbbbbbbbb" as DestinationId]
    })).toEqual(["dst_bbbbbbbbbb"])
  })
})
