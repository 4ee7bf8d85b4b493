import { idPattern } from "@signal/domain/Ids"
import { describe, expect, it } from "vitest"
import { intentParameters } from "../src/IntentParameters"

describe("intentParameters", () => {
  it("gives each event's new intent ids and destinations comma-joined, events space-separated", () => {
    const routes = [["dst_a1"], [], ["dst_b1", "dst_b22", "dst_b333"], [], ["dst_c1"]]
    const [ids, destinations] = intentParameters(routes.length, (e) => routes[e])
    expect(destinations.toString()).toBe("dst_a1  dst_b1,dst_b22,dst_b333  dst_c1")
    const idsByEvent = ids.toString().split(" ").map((joined) => joined === "" ? [] : joined.split(","))
    expect(idsByEvent.map((eventIds) => eventIds.length)).toEqual(routes.map((eventRoutes) => eventRoutes.length))
    const all = idsByEvent.flat()
    for (const id of all) expect(id).toMatch(idPattern("int"))
    expect(new Set(all).size).toBe(5)
  })

  it("gives empty parameters for events without destinations or no events", () => {
    expect(intentParameters(0, () => []).map(String)).toEqual(["", ""])
    expect(intentParameters(3, () => []).map(String)).toEqual(["  ", "  "])
  })
})
