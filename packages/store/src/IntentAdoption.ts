import type { DestinationId } from "@signal/domain/Ids"
import type { ClaimedIntent } from "./DeliveryQueue"

/**
 * Fresh intents leased in the statement that inserts them, to a drain of the same process that is
 * idle or caught up on their destination: it starts them from what ingest has in memory, with no
 * claim statement and no wait for one. What the drains would take now; the rest is woken as usual.
 */
export interface IntentAdoption {
  /** The lease owner adopted intents are inserted under (one per process: each intent is adopted once). */
  readonly owner: string
  readonly leaseMs: number
  /** How many fresh intents of the destination its drain would start now without a claim (0: wake it). */
  readonly room: (destinationId: DestinationId) => number
}

/** Intents of one destination leased at their insert, with its version as that statement read it. */
export interface AdoptedIntents {
  readonly destinationId: DestinationId
  /** `DeliveryDestination.version` as of the insert; `null`: deleted. */
  readonly version: string | null
  readonly intents: ReadonlyArray<ClaimedIntent>
}
