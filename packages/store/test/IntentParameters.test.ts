import { idPattern } from "@signal/domain/Ids"
import { describe, expect, it } from "vitest"
import { intentParameters } from "../src/IntentParameters"

describe("intentParameters", () => {
  it("gives each event's new intent ids and destinations comma-joined, events space-separated", () => {
    const routes = [["dst_a1"], [], ["dst_b1", "dst_b22", "dst_b333"], [], ["dst_c1"]]
    const { destinationIds: destinations, intentIds: ids, leases, leasedIds } = intentParameters(routes.length, (e) => routes[e])
    expect(leases).toBeNull()
    expect(leasedIds).toEqual([])
    expect(destinations.toString()).toBe("dst_a1  dst_b1,dst_b22,dst_b333  dst_c1")
    const idsByEvent = ids.toString().split(" ").map((joined) => joined === "" ? [] : joined.split(","))
    expect(idsByEvent.map((eventIds) => eventIds.length)).toEqual(routes.map((eventRoutes) => eventRoutes.length))
    const all = idsByEvent.flat()
    for (const id of all) expect(id).toMatch(idPattern("int"))
    expect(new Set(all).size).toBe(5)
  })

  it("gives empty parameters for events without destinations or no events", () => {
    const texts = (events: number) => {
      const { destinationIds, intentIds } = intentParameters(events, () => [])
      return [String(intentIds), String(destinationIds)]
    }
    expect(texts(0)).toEqual(["", ""])
    expect(texts(3)).toEqual(["  ", "  "])
  })

  it("marks the intents chosen to be leased, laid out as their ids, and gives those ids", () => {
    const routes = [["dst_a1", "dst_a2"], [], ["dst_b1"]]
    const asked: Array<string> = []
    const { intentIds, leases, leasedIds } = intentParameters(routes.length, (e) => routes[e], (e, r) => {
      asked.push(`${e}:${r}`)
      return r === 1 || e === 2
    })
    expect(asked).toEqual(["0:0", "0:1", "2:0"])
    expect(String(leases)).toBe("0,1  1")
    const idsByEvent = intentIds.toString().split(" ").map((joined) => joined === "" ? [] : joined.split(","))
    expect(leasedIds).toEqual([idsByEvent[0][1], idsByEvent[2][0]])
    // asked, but none chosen: no parameter at all
    expect(intentParameters(routes.length, (e) => routes[e], () => false).leases).toBeNull()
  })
})
