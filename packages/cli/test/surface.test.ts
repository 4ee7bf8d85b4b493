import { FetchHttpClient } from "@effect/platform"
import { createSignalClient } from "@signal/client"
import { methodOf, operations } from "@signal/client/Operations"
import { makeSignalClient } from "@signal/client/SignalClient"
import { makeJsonApi } from "@signal/client/SignalJsonClient"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { signalCommand } from "../src/Cli"
import { commandPath } from "../src/Derived"

interface Node {
  readonly _tag: string
  readonly name?: string
  readonly command?: Node
  readonly parent?: Node
  readonly children?: ReadonlyArray<Node>
}

/** A descriptor's name and subcommands (`CommandDescriptor.getSubcommands` stops one level down). */
const nodeOf = (node: Node): [string, ReadonlyArray<Node>] => {
  if (node._tag === "Map") return nodeOf(node.command!)
  if (node._tag === "Subcommands") return [nodeOf(node.parent!)[0], node.children!]
  return [node.name!, []]
}

/** Every command path of the tree, space-joined: `destinations rotate-secret`. */
const commandPaths = (): Set<string> => {
  const out = new Set<string>()
  const walk = (node: Node, prefix: ReadonlyArray<string>) => {
    const [name, children] = nodeOf(node)
    const path = [...prefix, name]
    out.add(path.slice(1).join(" "))
    for (const child of children) walk(child, path)
  }
  walk(signalCommand().descriptor as unknown as Node, [])
  return out
}

describe("the contract's surface", () => {
  it("has every operation of the contract", () => {
    // the API as the contract declares it: every group, every endpoint
    expect(operations.length).toBeGreaterThanOrEqual(26)
    expect(new Set(operations.map((operation) => operation.id)).size).toBe(operations.length)
  })

  it("reaches every contract operation from the CLI", () => {
    const paths = commandPaths()
    const missing = operations.filter((operation) => !paths.has(commandPath(operation).join(" "))).map((o) => o.id)
    expect(missing, `operations without a command: ${missing.join(", ")}`).toEqual([])
  })

  it("offers every contract operation in the Promise and the Effect JSON clients", () => {
    const promise = createSignalClient({ endpoint: "http://127.0.0.1:1" })
    const json = makeJsonApi(
      Effect.runSync(makeSignalClient({ endpoint: "http://127.0.0.1:1" }).pipe(Effect.provide(FetchHttpClient.layer)))
    )
    const missing = operations.filter((operation) =>
      typeof methodOf(promise, operation) !== "function" || typeof methodOf(json, operation) !== "function"
    )
    expect(missing.map((o) => o.id)).toEqual([])
  })

  it("keeps the seed-000 names", () => {
    const paths = commandPaths()
    for (const path of ["tenants upsert", "destinations create", "destinations rotate-secret", "events publish", "intents retry", "analytics", "health"]) {
      expect(paths, path).toContain(path)
    }
    const client = createSignalClient({ endpoint: "http://127.0.0.1:1" })
    expect(typeof client.tenant.upsert).toBe("function")
    expect(typeof client.eventDestination.create).toBe("function")
    expect(typeof client.eventDeliveryAttempt.list).toBe("function")
  })
})
