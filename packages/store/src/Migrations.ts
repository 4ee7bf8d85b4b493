import * as Migrator from "@effect/sql/Migrator"
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
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
import timeWindowsBySeq from "./migrations/0014_time_windows_by_seq"
import lighterInserts from "./migrations/0015_lighter_inserts"
import oneIndexOfOpenIntents from "./migrations/0016_one_index_of_open_intents"
import roomForEventCounters from "./migrations/0017_room_for_event_counters"
import smallQueueSamples from "./migrations/0018_small_queue_samples"
import { isTransient, whileAway } from "./SqlFailure"
import * as StartupLock from "./StartupLock"

/**
 * How long a start waits for its database: Postgres starting beside Signal (Compose, Kubernetes), or a
 * machine so busy that connecting outlasts the connect timeout, is a wait, not a failed start.
 */
const untilReachable = whileAway("1 minute")

const unreachable = (error: Migrator.MigrationError | SqlError): error is SqlError =>
  error._tag === "SqlError" && isTransient(error)

const migrate = Migrator.make({})({
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
    "0013_no_status_statistics": noStatusStatistics,
    "0014_time_windows_by_seq": timeWindowsBySeq,
    "0015_lighter_inserts": lighterInserts,
    "0016_one_index_of_open_intents": oneIndexOfOpenIntents,
    "0017_room_for_event_counters": roomForEventCounters,
    "0018_small_queue_samples": smallQueueSamples
  }),
  table: "signal_migrations"
})

/**
 * Applies pending migrations, one starting process at a time (`StartupLock`): the migrator serialises
 * the migrations on its table's lock, but makes that table first, outside it. A database that cannot
 * be reached yet is waited for (each try runs in its own transaction, so a try cut short leaves
 * nothing behind); one that refuses the credentials or a migration fails at once.
 */
export const run = Effect.flatMap(SqlClient.SqlClient, (sql) => StartupLock.inTurn(sql, migrate)).pipe(
  Effect.tapError((error) =>
    unreachable(error) ? Effect.logWarning("database not reachable yet; trying again", error.message) : Effect.void
  ),
  Effect.retry({ schedule: untilReachable, while: unreachable }),
  Effect.withSpan("Migrations.run")
)

export const layer = Layer.effectDiscard(run)
