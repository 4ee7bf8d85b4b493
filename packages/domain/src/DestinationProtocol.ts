import * as ClusterSchema from "@effect/cluster/ClusterSchema"
import * as Entity from "@effect/cluster/Entity"
import * as Rpc from "@effect/rpc/Rpc"

/**
 * The destination itself changed (disabled, deleted, re-pointed, limits or policy): a running drain
 * re-reads it now instead of at its next periodic look. Volatile on purpose: that look comes within a
 * second. (Wakes do not go through the entity: they are notices through Postgres, `WakeNotices`.)
 */
export const Reconfigure = Rpc.make("Reconfigure").annotate(ClusterSchema.Persisted, false)

/**
 * No client span per message: what an operator follows is the delivery, whose attempts are children
 * of the publish through the intent's stored trace context.
 */
export const DestinationEntity = Entity.make("Destination", [Reconfigure]).annotate(
  ClusterSchema.ClientTracingEnabled,
  false
)
