/** Other packages add subcommands (the server's `start`, `migrate`) next to the built-in ones. */
import { Command, Options } from "@effect/cli"
import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, HashMap, Ref } from "effect"
import { EXIT_USAGE, rootCommand, run, signalCommand } from "../src/index"

const argv = (...args: ReadonlyArray<string>) => ["node", "signal", ...args]

describe("extending the signal command", () => {
  it.effect("runs an extra command, which sees the global flags", () =>
    Effect.gen(function*() {
      const seen = yield* Ref.make<ReadonlyArray<string>>([])
      const start = Command.make(
        "start",
        { role: Options.choice("role", ["all", "gateway", "dispatcher"]).pipe(Options.withDefault("all" as const)) },
        ({ role }) =>
          Effect.gen(function*() {
            const root = yield* rootCommand
            yield* Ref.update(seen, (s) => [...s, `start ${role} json=${root.json}`])
          })
      )
      const migrate = Command.make("migrate", {}, () => Ref.update(seen, (s) => [...s, "migrate"]))

      expect(yield* run([start, migrate], argv("--json", "start", "--role", "gateway"))).toBe(0)
      expect(yield* run([start, migrate], argv("migrate"))).toBe(0)
      expect(yield* Ref.get(seen)).toEqual(["start gateway json=true", "migrate"])
      expect(yield* run([start, migrate], argv("start", "--role", "nope"))).toBe(EXIT_USAGE)
    }).pipe(Effect.provide(NodeContext.layer)))

  it("lists extra commands in the tree", () => {
    const start = Command.make("start", {}, () => Effect.void)
    const names = Command.getSubcommands(signalCommand([start]))
    expect([...HashMap.keys(names)]).toEqual(expect.arrayContaining(["tenants", "destinations", "events", "listen", "start"]))
  })
})
