/**
 * Outbound address policy: a destination URL may only reach public unicast addresses, unless an
 * operator opens specific private networks with `SIGNAL_ALLOW_PRIVATE_NETWORKS`.
 */
import { Config, ConfigError, Context, Effect, Either, Layer, Schema } from "effect"
import ipaddr from "ipaddr.js"
import { lookup } from "node:dns/promises"
import { isIP } from "node:net"

export class BlockedAddress extends Schema.TaggedError<BlockedAddress>()("BlockedAddress", {
  address: Schema.String,
  message: Schema.String
}) {}

export class DnsError extends Schema.TaggedError<DnsError>()("DnsError", {
  hostname: Schema.String,
  message: Schema.String
}) {}

export interface ResolvedAddress {
  readonly address: string
  readonly family: 4 | 6
}

type Address = ipaddr.IPv4 | ipaddr.IPv6
type Cidr = readonly [Address, number]

// Named explicitly even though the range checks below already cover them: these are the
// cloud metadata endpoints an attacker aims for first, and the names make the errors clear.
const metadataEndpoints: ReadonlyArray<readonly [string, Cidr]> = [
  ["cloud metadata", ipaddr.parseCIDR("169.254.169.254/32")],
  ["cloud metadata", ipaddr.parseCIDR("fd00:ec2::254/128")]
]

// IPv4-compatible IPv6 (::a.b.c.d, deprecated) reaches the embedded IPv4 address on some stacks
// but ipaddr.js calls it plain unicast, so it is unwrapped like the mapped form.
const ipv4Compatible = ipaddr.parseCIDR("::/96")

// ipaddr.js only converts the mapped form, so the compatible form is unpacked by hand.
const embeddedIPv4 = (v6: ipaddr.IPv6): ipaddr.IPv4 => {
  const high = v6.parts[6] ?? 0
  const low = v6.parts[7] ?? 0
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff])
}

/** Unwraps IPv4-mapped and IPv4-compatible IPv6 so `::ffff:127.0.0.1` is judged as `127.0.0.1`. */
const normalize = (address: Address): Address => {
  if (address.kind() === "ipv6") {
    const v6 = address as ipaddr.IPv6
    if (v6.isIPv4MappedAddress()) return v6.toIPv4Address()
    // `::` and `::1` live in ::/96 too but are IPv6 unspecified/loopback, not IPv4 addresses.
    if (v6.range() === "unicast" && v6.match(ipv4Compatible)) return embeddedIPv4(v6)
  }
  return address
}

const matches = (address: Address, [network, bits]: Cidr): boolean =>
  address.kind() === network.kind() && address.match(network, bits)

/** Why an address is refused, or `undefined` when it may be contacted. */
const blockReason = (address: Address, allowList: ReadonlyArray<Cidr>): string | undefined => {
  if (allowList.some((cidr) => matches(address, cidr))) return undefined
  const metadata = metadataEndpoints.find(([, cidr]) => matches(address, cidr))
  if (metadata) return metadata[0]
  // Allow-by-exception: only plain public unicast passes. Everything ipaddr.js classifies
  // (private, loopback, link-local, CGNAT, ULA, NAT64, 6to4, Teredo, reserved, …) is refused,
  // including translation prefixes that could smuggle an internal IPv4 address.
  const range = address.range()
  return range === "unicast" ? undefined : range
}

const parseAllowList = (cidrs: ReadonlyArray<string>): Either.Either<ReadonlyArray<Cidr>, string> => {
  const parsed: Array<Cidr> = []
  for (const raw of cidrs) {
    const cidr = raw.trim()
    if (cidr === "") continue
    if (!ipaddr.isValidCIDR(cidr)) return Either.left(`invalid CIDR "${cidr}"`)
    const [network, bits] = ipaddr.parseCIDR(cidr)
    // Allow-list entries are compared after normalization, so store mapped IPv4 CIDRs as IPv4.
    const v6 = network.kind() === "ipv6" ? (network as ipaddr.IPv6) : undefined
    parsed.push(v6 !== undefined && v6.isIPv4MappedAddress() && bits >= 96 ? [v6.toIPv4Address(), bits - 96] : [network, bits])
  }
  return Either.right(parsed)
}

const stripBrackets = (hostname: string): string =>
  hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname

const make = (allowList: ReadonlyArray<Cidr>) => {
  const checkAddress = Effect.fn("SsrfGuard.checkAddress")(function*(ip: string) {
    yield* Effect.annotateCurrentSpan("address", ip)
    if (!ipaddr.isValid(ip)) {
      return yield* new BlockedAddress({ address: ip, message: `${ip} is not an IP address` })
    }
    const reason = blockReason(normalize(ipaddr.parse(ip)), allowList)
    if (reason !== undefined) {
      return yield* new BlockedAddress({ address: ip, message: `${ip} is not a public address (${reason})` })
    }
  })

  const resolve = Effect.fn("SsrfGuard.resolve")(function*(hostname: string) {
    yield* Effect.annotateCurrentSpan("hostname", hostname)
    const host = stripBrackets(hostname)
    const literal = isIP(host)
    if (literal !== 0) {
      yield* checkAddress(host)
      return [{ address: host, family: literal === 4 ? 4 : 6 }] as ReadonlyArray<ResolvedAddress>
    }
    const resolved = yield* Effect.tryPromise({
      try: () => lookup(host, { all: true, verbatim: true }),
      catch: (cause) =>
        new DnsError({
          hostname,
          message: `could not resolve ${hostname}: ${cause instanceof Error ? cause.message : String(cause)}`
        })
    })
    if (resolved.length === 0) {
      return yield* new DnsError({ hostname, message: `${hostname} resolved to no addresses` })
    }
    // Every address must pass: a hostname with one public and one internal record is refused,
    // and the caller connects to one of these checked addresses rather than resolving again.
    yield* Effect.forEach(resolved, (entry) => checkAddress(entry.address), { discard: true })
    return resolved.map((entry): ResolvedAddress => ({ address: entry.address, family: entry.family === 4 ? 4 : 6 }))
  })

  return { checkAddress, resolve } as const
}

export class SsrfGuard extends Context.Tag("@signal/dispatcher/SsrfGuard")<SsrfGuard, {
  /** Fails with `BlockedAddress` unless `ip` is public unicast or inside an allowed CIDR. */
  readonly checkAddress: (ip: string) => Effect.Effect<void, BlockedAddress>
  /** Resolves `hostname` (or an IP literal, `[::1]` included) and checks every address it yields. */
  readonly resolve: (hostname: string) => Effect.Effect<ReadonlyArray<ResolvedAddress>, BlockedAddress | DnsError>
}>() {
  /** A guard that also lets through the given CIDRs (e.g. `10.0.0.0/8`, `::1/128`). */
  static readonly layer = (allowCidrs: ReadonlyArray<string>): Layer.Layer<SsrfGuard, ConfigError.ConfigError> =>
    Layer.effect(
      SsrfGuard,
      Either.match(parseAllowList(allowCidrs), {
        onLeft: (message) => Effect.fail(ConfigError.InvalidData([], message)),
        onRight: (allowList) => Effect.succeed(make(allowList))
      })
    )

  /** Reads the allow-list from `SIGNAL_ALLOW_PRIVATE_NETWORKS` (comma-separated CIDRs, default none). */
  static readonly layerFromConfig: Layer.Layer<SsrfGuard, ConfigError.ConfigError> = Layer.effect(
    SsrfGuard,
    Config.string("SIGNAL_ALLOW_PRIVATE_NETWORKS").pipe(
      Config.withDefault(""),
      Config.mapOrFail((value) =>
        Either.mapLeft(
          parseAllowList(value.split(",")),
          (message) => ConfigError.InvalidData(["SIGNAL_ALLOW_PRIVATE_NETWORKS"], message)
        )
      ),
      Effect.tap((allowList) =>
        allowList.length === 0
          ? Effect.logInfo(
            "delivery to loopback and private addresses is blocked; to deliver to receivers on this machine " +
              "set SIGNAL_ALLOW_PRIVATE_NETWORKS=127.0.0.0/8,::1/128"
          )
          : Effect.void
      ),
      Effect.map(make)
    )
  )
}
