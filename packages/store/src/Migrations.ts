import * as Migrator from "@effect/sql/Migrator"
import { Effect, Layer } from "effect"
import initial from "./migrations/0001_initial"
import analyticsIndexes from "./migrations/0002_analytics_indexes"
import apiKeys from "./migrations/0003_api_keys"
import dueOrderIndex from "./migrations/0004_due_order_index"
import recoveryAndRetention from "./migrations/0005_recovery_and_retention"
import hotLeaseUpdates from "./migrations/0006_hot_lease_updates"
import orderedDelivery from "./migrations/0007_ordered_delivery"
import noHotForeignKeys from "./migrations/0008_no_hot_foreign_keys"
import hotEventCounters from "./migrations/0009_hot_event_counters"
import jsonPayloads from "./migrations/0010_json_payloads"
import roomForLeases from "./migrations/0011_room_for_leases"
import noGlobalSeqIndexes from "./migrations/0012_no_global_seq_indexes"
import noStatusStatistics from "./migrations/0013_no_status_statistics"

/** Applies pending migrations; concurrent starters serialise on the migrations table lock. */
export const run = Migrator.make({})({
  loader: Migrator.fromRecord({
    "0001_initial": initial,
    "0002_analytics_indexes": analyticsIndexes,
    "0003_api_keys": apiKeys,
    "0004_due_order_index": dueOrderIndex,
    "0005_recovery_and_retention": recoveryAndRetention,
    "0006_hot_lease_updates": hotLeaseUpdates,
    "0007_ordered_delivery": orderedDelivery,
    "0008_no_hot_foreign_keys": noHotForeignKeys,
    "0009_hot_event_counters": hotEventCounters,
    "0010_json_payloads": jsonPayloads,
    "0011_room_for_leases": roomForLeases,
    "0012_no_global_seq_indexes": noGlobalSeqIndexes,
    "0013_no_status_statistics": noStatusStatistics
  }),
  table: "signal_migrations"
}).pipe(Effect.withSpan("Migrations.run"))

export const layer = Layer.effectDiscard(run)
