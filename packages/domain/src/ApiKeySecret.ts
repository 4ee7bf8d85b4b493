/** Making and hashing tenant API keys: the server's side of `ApiKey` (Node's crypto, so not in the client). */
import { createHash, randomBytes } from "node:crypto"
import { API_KEY_PREFIX } from "./ApiKey"

/** `sk_` + 32 random bytes, base64url. */
export const generateApiKey = (): string => `${API_KEY_PREFIX}${randomBytes(32).toString("base64url")}`

/** What is stored and looked up: the hex SHA-256 of the key (keys are random, so no salt is needed). */
export const hashApiKey = (key: string): string => createHash("sha256").update(key, "utf8").digest("hex")
