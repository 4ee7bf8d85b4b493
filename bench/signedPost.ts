import { createHmac } from "node:crypto"
import { type Agent, request } from "undici"

/** The key the bench's peers sign with (the base64 part of a `whsec_…` secret). */
const key = Buffer.from("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "base64")

/** POSTs `body` signed as Standard Webhooks does (what Signal sends), and reads the answer to its end. */
export const postSigned = async (agent: Agent, url: string, id: string, body: string) => {
  const timestamp = Math.floor(Date.now() / 1000)
  const signature = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64")
  const response = await request(url, {
    method: "POST",
    dispatcher: agent,
    body,
    headers: {
      "content-type": "application/json",
      "webhook-id": id,
      "webhook-timestamp": String(timestamp),
      "webhook-signature": `v1,${signature}`
    }
  })
  await response.body.dump()
  return response.statusCode
}
