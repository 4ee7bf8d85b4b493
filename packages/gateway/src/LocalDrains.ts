import type { DestinationId } from "@signal/domain/Ids"
import type { AdoptedIntents, IntentAdoption } from "@signal/store/IntentAdoption"
import { Context, type Effect } from "effect"

/**
 * The drains of this very process, when it dispatches too (`SIGNAL_ROLE=all`). A wake or change for
 * a destination whose shard this process owns is handed to them directly: no entity message, no
 * entity. Provided by the server, so the gateway needs no dispatcher code; absent in a gateway process.
 */
export class LocalDrains extends Context.Tag("@signal/gateway/LocalDrains")<LocalDrains, {
  /** Whether this process owns the destination's shard now. */
  readonly owns: (destinationId: DestinationId) => boolean
  /** Work may be due at these destinations (each owned here). */
  readonly wake: (destinationIds: ReadonlyArray<DestinationId>) => Effect.Effect<void>
  /** The destination changed: a running drain re-reads it. */
  readonly reconfigure: (destinationId: DestinationId) => Effect.Effect<void>
  /** What ingest may lease to these drains as it inserts. */
  readonly adoption: IntentAdoption
  /** Intents leased to them at their insert, committed: their drains start them. */
  readonly adopt: (adopted: ReadonlyArray<AdoptedIntents>) => Effect.Effect<void>
}>() {}
