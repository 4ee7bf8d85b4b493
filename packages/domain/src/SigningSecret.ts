import { randomBytes } from "node:crypto"

/** Standard Webhooks secret format: `whsec_` + base64 of 24 random bytes. */
export const generateSigningSecret = (): string => `whsec_${randomBytes(24).toString("base64")}`

/** A replaced secret still accepted by receivers (and still signed with) until `expiresAt`. */
export interface PreviousSecret {
  readonly secret: string
  readonly expiresAt: Date
}

/** The secrets to sign with at `now`: the current one first, then the previous ones still in grace. */
export const activeSecrets = (
  current: string,
  previous: ReadonlyArray<PreviousSecret>,
  now: Date
): readonly [string, ...Array<string>] => [
  current,
  ...previous.filter((entry) => entry.expiresAt.getTime() > now.getTime()).map((entry) => entry.secret)
]
