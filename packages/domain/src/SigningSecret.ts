import { randomBytes } from "node:crypto"

/** Standard Webhooks secret format: `whsec_` + base64 of 24 random bytes. */
export const generateSigningSecret = (): string => `whsec_${randomBytes(24).toString("base64")}`
