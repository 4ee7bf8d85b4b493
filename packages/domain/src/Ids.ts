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
const random10 = () => {
  if (randomOffset + 10 > RANDOM_PAGE) {
    randomPage = randomBytes(RANDOM_PAGE)
    randomOffset = 0
  }
  randomOffset += 10
  return randomPage.subarray(randomOffset - 10, randomOffset)
}

/** Time-ordered (48-bit millisecond prefix) + 80 random bits, like a ULID in lower case. */
export const newIdBody = (): string => {
  const bytes = new Uint8Array(16)
  const now = Date.now()
  for (let i = 5; i >= 0; i--) bytes[5 - i] = Math.floor(now / 2 ** (8 * i)) & 0xff
  bytes.set(random10(), 6)
  return encodeBase32(bytes)
}

const prefixedId = <const Brand extends string>(prefix: string, brand: Brand) =>
  Schema.String.pipe(
    Schema.pattern(new RegExp(`^${prefix}_[0-9a-z]{10,40}$`), {
      message: () => `must be a ${prefix}_… id`
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

export const makeId = {
  tenant: () => TenantId.make(`ten_${newIdBody()}`),
  sender: () => SenderId.make(`snd_${newIdBody()}`),
  destination: () => DestinationId.make(`dst_${newIdBody()}`),
  event: () => EventId.make(`evt_${newIdBody()}`),
  intent: () => IntentId.make(`int_${newIdBody()}`),
  attempt: () => AttemptId.make(`att_${newIdBody()}`),
  apiKey: () => ApiKeyId.make(`key_${newIdBody()}`),
  recoveryJob: () => RecoveryJobId.make(`rcv_${newIdBody()}`)
}
