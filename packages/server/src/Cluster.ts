import * as RunnerAddress from "@effect/cluster/RunnerAddress"
import * as SingleRunner from "@effect/cluster/SingleRunner"
import * as SqlClient from "@effect/sql/SqlClient"
import { ClusterClient } from "@signal/store/Database"
import * as StartupLock from "@signal/store/StartupLock"
import * as NodeClusterSocket from "@effect/platform-node/NodeClusterSocket"
import { Duration, Effect, Layer, Option } from "effect"
import { ServerConfig } from "./ServerConfig"

/**
 * Cluster wiring by role. Wakes are volatile, so the mailbox stays small and Postgres stays the
 * queue. A killed dispatcher's shard locks go with its database connection, but the others only
 * reassign its shards once its heartbeat is older than `shardLockExpiration`: 4 s (heartbeats every
 * 4/3 s, which is also how long a heartbeat write may take before a runner gives its shards up).
 */
export const shardingConfig = {
  entityMailboxCapacity: 64,
  entityMaxIdleTime: Duration.minutes(2),
  entityTerminationTimeout: Duration.seconds(8),
  shardLockRefreshInterval: Duration.seconds(2),
  shardLockExpiration: Duration.seconds(4),
  refreshAssignmentsInterval: Duration.millis(500),
  runnerHealthCheckInterval: Duration.seconds(1)
}

const clusterSql = Layer.effect(SqlClient.SqlClient, ClusterClient)

const roleLayer = Layer.unwrapEffect(Effect.gen(function*() {
  const config = yield* ServerConfig
  switch (config.role) {
    case "all":
      return SingleRunner.layer({ shardingConfig, runnerStorage: "sql" })
    case "gateway":
      return NodeClusterSocket.layer({ clientOnly: true, storage: "sql", shardingConfig })
    case "dispatcher":
      return NodeClusterSocket.layer({
        storage: "sql",
        shardingConfig: {
          ...shardingConfig,
          runnerAddress: Option.some(RunnerAddress.make(config.runnerHost, config.runnerPort)),
          // The runner socket is unauthenticated: it listens only on the address it advertises (the
          // pod IP in Kubernetes, where a NetworkPolicy admits Signal pods alone), never on every interface.
          runnerListenAddress: Option.some(RunnerAddress.make(config.runnerHost, config.runnerPort))
        }
      })
  }
})).pipe(Layer.provide(clusterSql))

/**
 * The cluster of this process's role, built in turn with the other processes starting (`StartupLock`):
 * its storage creates its tables as it starts.
 */
export const layer = Layer.scopedContext(Effect.gen(function*() {
  const scope = yield* Effect.scope
  const sql = yield* SqlClient.SqlClient
  return yield* StartupLock.inTurn(sql, Layer.buildWithScope(roleLayer, scope))
}))
