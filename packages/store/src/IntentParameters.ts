import { ID_BODY_LENGTH, writeIdBody } from "@signal/domain/Ids"

const SPACE = 0x20
const COMMA = 0x2c
const ZERO = 0x30
const ONE = 0x31
const INTENT_PREFIX = Buffer.from("int_", "latin1")
const INTENT_ID_LENGTH = INTENT_PREFIX.length + ID_BODY_LENGTH

/** The intents a statement's events fan out to, as `IngestStatements` takes them ($10, $11 and $16). */
export interface IntentParameters {
  readonly intentIds: Buffer
  readonly destinationIds: Buffer
  /** Laid out as the ids, `1` for each leased intent and `0` for the others; `null` when none is leased. */
  readonly leases: Buffer | null
  /** The leased intents' ids, in the order `leased` chose them. */
  readonly leasedIds: ReadonlyArray<string>
}

/**
 * The intents a statement's events fan out to, as `IngestStatements` takes them: per event the new
 * intents' ids, and their destinations, comma-joined; events space-separated. Written straight into
 * bytes (`text`'s binary form is its text): as strings, a batch of 1,000 events to 100 destinations
 * each made 100,000 id strings and two 3 MB strings, and garbage collection was half the gateway's CPU.
 * Destination ids are ASCII (their pattern). `leased`, when given, is asked once per intent in order
 * whether it is inserted leased.
 */
export const intentParameters = (
  events: number,
  routesAt: (event: number) => ReadonlyArray<string>,
  leased?: (event: number, route: number) => boolean
): IntentParameters => {
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
  const leases = leased === undefined ? null : Buffer.allocUnsafe(intents + separators)
  const leasedIds: Array<string> = []
  let idAt = 0
  let destinationAt = 0
  let leaseAt = 0
  for (let e = 0; e < events; e++) {
    if (e > 0) {
      ids[idAt++] = SPACE
      destinations[destinationAt++] = SPACE
      if (leases !== null) leases[leaseAt++] = SPACE
    }
    const routes = routesAt(e)
    for (let r = 0; r < routes.length; r++) {
      if (r > 0) {
        ids[idAt++] = COMMA
        destinations[destinationAt++] = COMMA
        if (leases !== null) leases[leaseAt++] = COMMA
      }
      ids.set(INTENT_PREFIX, idAt)
      writeIdBody(ids, idAt + INTENT_PREFIX.length)
      if (leases !== null) {
        const lease = leased!(e, r)
        leases[leaseAt++] = lease ? ONE : ZERO
        if (lease) leasedIds.push(ids.toString("latin1", idAt, idAt + INTENT_ID_LENGTH))
      }
      idAt += INTENT_ID_LENGTH
      const destination = routes[r]
      for (let c = 0; c < destination.length; c++) destinations[destinationAt++] = destination.charCodeAt(c)
    }
  }
  return {
    intentIds: ids.subarray(0, idAt),
    destinationIds: destinations.subarray(0, destinationAt),
    leases: leases === null || leasedIds.length === 0 ? null : leases.subarray(0, leaseAt),
    leasedIds
  }
}
