import * as ClusterSchema from "@effect/cluster/ClusterSchema"
import * as Entity from "@effect/cluster/Entity"
import * as Rpc from "@effect/rpc/Rpc"
import { Schema } from "effect"
import { DestinationId } from "./Ids"

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

/**
 * No client span per message: a publish sends one wake per destination, and what an operator follows
 * is the delivery, whose attempts are children of the publish through the intent's stored trace context.
 */
export const DestinationEntity = Entity.make("Destination", [Wake, Reconfigure]).annotate(
  ClusterSchema.ClientTracingEnabled,
  false
)

/**
 * Wakes for many destinations in one message, sent to the entity of the first of them. The runner
 * that receives it wakes those whose shards it owns and answers with the others, which the sender
 * passes on the same way: a publish that fans out costs a message per runner, not per destination.
 */
export const WakeMany = Rpc.make("WakeMany", {
  payload: { destinationIds: Schema.Array(DestinationId) },
  success: Schema.Array(DestinationId)
}).annotate(ClusterSchema.Persisted, false)

/** Carries `WakeMany`; its instances hold nothing. Untraced like `DestinationEntity`. */
export const DestinationWakes = Entity.make("DestinationWakes", [WakeMany]).annotate(
  ClusterSchema.ClientTracingEnabled,
  false
)
