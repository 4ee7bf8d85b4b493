import { Schema } from "effect"

const CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"

const encodeBase32 = (bytes: Uint8Array): string => {
  let out = ""
  let buffer = 0
  let bits = 0
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += CROCKFORD[(buffer >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  if (bits > 0) out += CROCKFORD[(buffer << (5 - bits)) & 31]
  return out
}

/**
 * Random bytes drawn a page at a time: one call per id made ingest of large fan-outs pay a syscall
 * per intent. Web Crypto, so the ids' module also runs in browsers, Deno and Bun (the client ships it).
 */
const RANDOM_PAGE = 4096
const randomBytes = (size: number) => globalThis.crypto.getRandomValues(new Uint8Array(size))
let randomPage = randomBytes(RANDOM_PAGE)
let randomOffset = 0

const CROCKFORD_CODES = Uint8Array.from(CROCKFORD, (char) => char.charCodeAt(0))

/** The characters of an id's body (after its prefix and underscore). */
export const ID_BODY_LENGTH = 26

/** The time part of ids made within one millisecond: its first 9 characters' codes and the 3 bits left over. */
let timeMillis = -1
const timeCodes = new Uint8Array(9)
let timeBits = 0

/**
 * A new id's body written as ASCII at `offset` of `target`: time-ordered (48-bit millisecond
 * prefix) + 80 random bits, like a ULID in lower case: the 128 bits in Crockford base32, big-endian.
 * The time's characters are encoded once per millisecond, and the random bytes read in place.
 * Bytes, so that ingest writes an intent's id straight into its statement's parameter: a string
 * per id (and one per character appended) was most of a large fan-out's garbage.
 */
export const writeIdBody = (target: Uint8Array, offset: number): void => {
  const now = Date.now()
  if (now !== timeMillis) {
    const bytes = new Uint8Array(6)
    for (let i = 5; i >= 0; i--) bytes[5 - i] = Math.floor(now / 2 ** (8 * i)) & 0xff
    const encoded = encodeBase32(bytes) // 10 characters: 9 whole, the last holds 3 bits shifted up by 2
    timeMillis = now
    for (let i = 0; i < 9; i++) timeCodes[i] = encoded.charCodeAt(i)
    timeBits = CROCKFORD.indexOf(encoded[9]) >>> 2
  }
  if (randomOffset + 10 > RANDOM_PAGE) {
    randomPage = randomBytes(RANDOM_PAGE)
    randomOffset = 0
  }
  target.set(timeCodes, offset)
  let at = offset + 9
  let buffer = timeBits
  let bits = 3
  for (let i = randomOffset, end = randomOffset + 10; i < end; i++) {
    buffer = (buffer << 8) | randomPage[i]
    bits += 8
    while (bits >= 5) {
      target[at++] = CROCKFORD_CODES[(buffer >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  randomOffset += 10
  target[at] = CROCKFORD_CODES[(buffer << (5 - bits)) & 31]
}

const body = new Uint8Array(ID_BODY_LENGTH)

/** A new id's body (`writeIdBody`) as a string. */
export const newIdBody = (): string => {
  writeIdBody(body, 0)
  return String.fromCharCode.apply(null, body as unknown as Array<number>)
}

/** What an id with this prefix looks like. */
export const idPattern = (prefix: string) => new RegExp(`^${prefix}_[0-9a-z]{10,40}$`)

const prefixedId = <const Brand extends string>(prefix: string, brand: Brand) =>
  Schema.String.pipe(
    Schema.pattern(idPattern(prefix), {
      message: () => `must be ${/^[aeiou]/.test(prefix) ? "an" : "a"} ${prefix}_… id`
    }),
    Schema.brand(brand)
  )

export const TenantId = prefixedId("ten", "TenantId")
export type TenantId = typeof TenantId.Type
export const SenderId = prefixedId("snd", "SenderId")
export type SenderId = typeof SenderId.Type
export const DestinationId = prefixedId("dst", "DestinationId")
export type DestinationId = typeof DestinationId.Type
export const EventId = prefixedId("evt", "EventId")
export type EventId = typeof EventId.Type
export const IntentId = prefixedId("int", "IntentId")
export type IntentId = typeof IntentId.Type
export const AttemptId = prefixedId("att", "AttemptId")
export type AttemptId = typeof AttemptId.Type
export const ApiKeyId = prefixedId("key", "ApiKeyId")
export type ApiKeyId = typeof ApiKeyId.Type
export const RecoveryJobId = prefixedId("rcv", "RecoveryJobId")
export type RecoveryJobId = typeof RecoveryJobId.Type

/** New ids, well-formed by construction: made without running their pattern (ingest makes one per intent). */
export const makeId = {
  tenant: () => TenantId.make(`ten_${newIdBody()}`, true),
  sender: () => SenderId.make(`snd_${newIdBody()}`, true),
  destination: () => DestinationId.make(`dst_${newIdBody()}`, true),
  event: () => EventId.make(`evt_${newIdBody()}`, true),
  intent: () => IntentId.make(`int_${newIdBody()}`, true),
  attempt: () => AttemptId.make(`att_${newIdBody()}`, true),
  apiKey: () => ApiKeyId.make(`key_${newIdBody()}`, true),
  recoveryJob: () => RecoveryJobId.make(`rcv_${newIdBody()}`, true)
}
