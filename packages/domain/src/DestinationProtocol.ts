import { ClusterSchema, Entity } from "@effect/cluster"
import { Rpc } from "@effect/rpc"

/**
 * A wake tells a destination's entity that due work may be waiting in Postgres.
 * Volatile on purpose: the intents table is the queue, a lost wake costs latency only.
 */
export const Wake = Rpc.make("Wake").annotate(ClusterSchema.Persisted, false)

/**
 * The destination itself changed (disabled, deleted, re-pointed, limits or policy): a running drain
 * re-reads it now instead of at its next periodic look. Volatile too: that look comes within a second.
 */
export const Reconfigure = Rpc.make("Reconfigure").annotate(ClusterSchema.Persisted, false)

export const DestinationEntity = Entity.make("Destination", [Wake, Reconfigure])
