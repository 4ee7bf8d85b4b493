import { ID_BODY_LENGTH, writeIdBody } from "@signal/domain/Ids"

const SPACE = 0x20
const COMMA = 0x2c
const INTENT_PREFIX = Buffer.from("int_", "latin1")
const INTENT_ID_LENGTH = INTENT_PREFIX.length + ID_BODY_LENGTH

/**
 * The intents a statement's events fan out to, as `IngestStatements` takes them: per event the new
 * intents' ids, and their destinations, comma-joined; events space-separated. Written straight into
 * bytes (`text`'s binary form is its text): as strings, a batch of 1,000 events to 100 destinations
 * each made 100,000 id strings and two 3 MB strings, and garbage collection was half the gateway's CPU.
 * Destination ids are ASCII (their pattern).
 */
export const intentParameters = (
  events: number,
  routesAt: (event: number) => ReadonlyArray<string>
): readonly [intentIds: Buffer, destinationIds: Buffer] => {
  let intents = 0
  let destinationBytes = 0
  for (let e = 0; e < events; e++) {
    const routes = routesAt(e)
    intents += routes.length
    for (let r = 0; r < routes.length; r++) destinationBytes += routes[r].length
  }
  // one separator after every intent and event at most
  const separators = intents + events
  const ids = Buffer.allocUnsafe(intents * INTENT_ID_LENGTH + separators)
  const destinations = Buffer.allocUnsafe(destinationBytes + separators)
  let idAt = 0
  let destinationAt = 0
  for (let e = 0; e < events; e++) {
    if (e > 0) {
      ids[idAt++] = SPACE
      destinations[destinationAt++] = SPACE
    }
    const routes = routesAt(e)
    for (let r = 0; r < routes.length; r++) {
      if (r > 0) {
        ids[idAt++] = COMMA
        destinations[destinationAt++] = COMMA
      }
      ids.set(INTENT_PREFIX, idAt)
      writeIdBody(ids, idAt + INTENT_PREFIX.length)
      idAt += INTENT_ID_LENGTH
      const destination = routes[r]
      for (let c = 0; c < destination.length; c++) destinations[destinationAt++] = destination.charCodeAt(c)
    }
  }
  return [ids.subarray(0, idAt), destinations.subarray(0, destinationAt)]
}
