import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, Layer } from "effect"
import { BlockedAddress, SsrfGuard } from "../src/SsrfGuard"

const strict = SsrfGuard.layer([])
const loopbackAllowed = SsrfGuard.layer(["127.0.0.0/8", "::1/128"])

const check = (ip: string) => SsrfGuard.pipe(Effect.flatMap((guard) => guard.checkAddress(ip)))
const resolve = (host: string) => SsrfGuard.pipe(Effect.flatMap((guard) => guard.resolve(host)))

const blocked = [
  "127.0.0.1",
  "127.255.255.254",
  "10.0.0.1",
  "10.255.1.2",
  "172.16.0.1",
  "172.31.255.255",
  "192.168.1.1",
  "169.254.169.254",
  "169.254.0.1",
  "100.64.0.1",
  "100.127.255.255",
  "0.0.0.0",
  "0.1.2.3",
  "224.0.0.1",
  "239.255.255.250",
  "255.255.255.255",
  "240.0.0.1",
  "192.0.2.1",
  "198.18.0.1",
  "2130706433", // 127.0.0.1 as a single integer
  "::1",
  "::",
  "fe80::1",
  "fe80::1%eth0",
  "fc00::1",
  "fd12:3456::1",
  "fd00:ec2::254",
  "ff02::1",
  "::ffff:127.0.0.1",
  "::ffff:7f00:1",
  "::ffff:10.0.0.1",
  "::ffff:169.254.169.254",
  "::127.0.0.1", // deprecated IPv4-compatible form
  "::a9fe:a9fe", // 169.254.169.254, IPv4-compatible
  "64:ff9b::7f00:1", // NAT64
  "64:ff9b::808:808",
  "2002:7f00:1::1", // 6to4
  "2001::1", // Teredo
  "2001:db8::1", // documentation
  "not-an-ip",
  ""
]

const allowed = ["8.8.8.8", "1.1.1.1", "93.184.216.34", "2606:4700::1111", "2001:4860:4860::8888", "::ffff:8.8.8.8"]

describe("SsrfGuard.checkAddress", () => {
  it.effect("blocks every non-public address", () =>
    Effect.gen(function*() {
      for (const ip of blocked) {
        const exit = yield* Effect.exit(check(ip))
        expect(exit, ip).toStrictEqual(Exit.fail(expect.any(BlockedAddress)))
        const error = yield* Effect.flip(check(ip))
        expect(error._tag).toBe("BlockedAddress")
        expect(error.address).toBe(ip)
      }
    }).pipe(Effect.provide(strict)))

  it.effect("names the range it refused", () =>
    Effect.gen(function*() {
      expect((yield* Effect.flip(check("127.0.0.1"))).message).toContain("loopback")
      expect((yield* Effect.flip(check("10.1.2.3"))).message).toContain("private")
      expect((yield* Effect.flip(check("169.254.169.254"))).message).toContain("metadata")
      expect((yield* Effect.flip(check("fd00:ec2::254"))).message).toContain("metadata")
      expect((yield* Effect.flip(check("::ffff:7f00:1"))).message).toContain("loopback")
    }).pipe(Effect.provide(strict)))

  it.effect("lets public unicast through", () =>
    Effect.gen(function*() {
      for (const ip of allowed) {
        expect(yield* Effect.exit(check(ip)), ip).toStrictEqual(Exit.void)
      }
    }).pipe(Effect.provide(strict)))

  it.effect("an allow-list opens exactly the listed networks", () =>
    Effect.gen(function*() {
      for (const ip of ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"]) {
        expect(yield* Effect.exit(check(ip)), ip).toStrictEqual(Exit.void)
      }
      for (const ip of ["10.0.0.1", "192.168.0.1", "169.254.169.254", "fe80::1", "fc00::1", "::2"]) {
        expect((yield* Effect.flip(check(ip)))._tag, ip).toBe("BlockedAddress")
      }
      expect(yield* Effect.exit(check("8.8.8.8"))).toStrictEqual(Exit.void)
    }).pipe(Effect.provide(loopbackAllowed)))

  it.effect("an invalid CIDR fails the layer", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Layer.build(SsrfGuard.layer(["10.0.0.0/33"])).pipe(Effect.scoped))
      expect(Exit.isFailure(exit)).toBe(true)
    }))
})

describe("SsrfGuard.layerFromConfig", () => {
  const fromEnv = (env: Record<string, string>) =>
    SsrfGuard.layerFromConfig.pipe(Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))))

  it.effect("defaults to no private networks", () =>
    Effect.gen(function*() {
      expect((yield* Effect.flip(check("127.0.0.1")))._tag).toBe("BlockedAddress")
    }).pipe(Effect.provide(fromEnv({}))))

  it.effect("reads comma-separated CIDRs from SIGNAL_ALLOW_PRIVATE_NETWORKS", () =>
    Effect.gen(function*() {
      expect(yield* Effect.exit(check("10.1.2.3"))).toStrictEqual(Exit.void)
      expect(yield* Effect.exit(check("fd00::5"))).toStrictEqual(Exit.void)
      expect((yield* Effect.flip(check("10.2.0.1")))._tag).toBe("BlockedAddress")
      expect((yield* Effect.flip(check("127.0.0.1")))._tag).toBe("BlockedAddress")
    }).pipe(Effect.provide(fromEnv({ SIGNAL_ALLOW_PRIVATE_NETWORKS: " 10.1.0.0/16 , fd00::/8," }))))

  it.effect("rejects a malformed value", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(
        Layer.build(fromEnv({ SIGNAL_ALLOW_PRIVATE_NETWORKS: "10.0.0.0/8,nope" })).pipe(Effect.scoped)
      )
      expect(Exit.isFailure(exit)).toBe(true)
    }))
})

describe("SsrfGuard.resolve", () => {
  it.effect("checks IP literals without DNS, bracketed IPv6 included", () =>
    Effect.gen(function*() {
      expect(yield* resolve("8.8.8.8")).toEqual([{ address: "8.8.8.8", family: 4 }])
      expect(yield* resolve("[2606:4700::1111]")).toEqual([{ address: "2606:4700::1111", family: 6 }])
      expect((yield* Effect.flip(resolve("[::1]")))._tag).toBe("BlockedAddress")
      expect((yield* Effect.flip(resolve("127.0.0.1")))._tag).toBe("BlockedAddress")
      expect((yield* Effect.flip(resolve("[::ffff:127.0.0.1]")))._tag).toBe("BlockedAddress")
    }).pipe(Effect.provide(strict)))

  it.effect("localhost is blocked without an allow-list", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(resolve("localhost"))
      expect(error._tag).toBe("BlockedAddress")
    }).pipe(Effect.provide(strict)))

  it.effect("localhost is allowed with loopback allowed and returns the checked addresses", () =>
    Effect.gen(function*() {
      const addresses = yield* resolve("localhost")
      expect(addresses.length).toBeGreaterThan(0)
      for (const { address, family } of addresses) {
        expect(["127.0.0.1", "::1"]).toContain(address)
        expect(family).toBe(address.includes(":") ? 6 : 4)
      }
      expect(yield* resolve("[::1]")).toEqual([{ address: "::1", family: 6 }])
    }).pipe(Effect.provide(loopbackAllowed)))

  it.effect("every resolved address must pass, not just one", () =>
    Effect.gen(function*() {
      // localhost resolves to 127.0.0.1 (and ::1 on some hosts); allowing only ::1 is not enough.
      const error = yield* Effect.flip(resolve("localhost"))
      expect(error._tag).toBe("BlockedAddress")
      expect(error._tag === "BlockedAddress" && error.address).toBe("127.0.0.1")
    }).pipe(Effect.provide(SsrfGuard.layer(["::1/128"]))))
})
