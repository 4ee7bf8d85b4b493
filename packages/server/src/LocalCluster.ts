import { Config, Context, Effect, Layer, Option, Redacted } from "effect"
import * as AccessConfig from "@signal/gateway/AccessConfig"
import * as EmbeddedPostgres from "@signal/store/EmbeddedPostgres"
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { GATEWAY_NODE_OPTIONS } from "./HeapGrowth"
import { roundRobinProxy } from "./RoundRobinProxy"

// The sibling entry point in the same form as this module: `main.ts` from the sources (run with
// the same `--import` loader as this process), `main.js` from the build.
const mainModule = fileURLToPath(new URL(import.meta.url.endsWith(".ts") ? "./main.ts" : "./main.js", import.meta.url))

export interface LocalClusterOptions {
  readonly gateways: number
  readonly dispatchers: number
  /** The round-robin entry point (the gateways get the ports after it). */
  readonly port: number
  readonly runnerBasePort: number
}

/** A process of the local cluster, restarted by nobody: if one dies, the others carry on. */
const spawnRole = (role: "gateway" | "dispatcher", env: Record<string, string>) =>
  Effect.acquireRelease(
    Effect.sync(() =>
      spawn(process.execPath, [...process.execArgv, mainModule, "start", "--role", role], {
        env: {
          ...process.env,
          // the operator's own NODE_OPTIONS last: they take precedence
          ...(role === "gateway"
            ? { NODE_OPTIONS: [GATEWAY_NODE_OPTIONS, process.env.NODE_OPTIONS].filter(Boolean).join(" ") }
            : {}),
          ...env
        },
        stdio: "inherit"
      })
    ),
    (child: ChildProcess) =>
      Effect.async<void>((resume) => {
        // ended already (a signal leaves exitCode null): no exit event is coming
        if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.void)
        child.once("exit", () => resume(Effect.void))
        child.kill("SIGTERM")
      })
  )

/**
 * Gateways and dispatchers as separate processes on loopback ports, sharing one Postgres
 * (DATABASE_URL, or an embedded one owned by this process), behind a round-robin proxy.
 */
export const runLocalCluster = Effect.fn("LocalCluster.run")(function*(options: LocalClusterOptions) {
  const host = yield* Config.string("HOST").pipe(Config.withDefault("127.0.0.1"))
  // The proxy exposes the gateways on HOST: the same rule as `signal start`, checked before anything
  // starts (a public HOST needs SIGNAL_ADMIN_KEY, which the gateways inherit).
  yield* AccessConfig.load(host)
  const configured = yield* Config.option(Config.redacted("DATABASE_URL"))
  const databaseUrl = Option.isSome(configured)
    ? Redacted.value(configured.value)
    : Redacted.value(Context.get(yield* Layer.build(EmbeddedPostgres.layer), EmbeddedPostgres.EmbeddedPostgres).url)
  const gatewayPorts = Array.from({ length: options.gateways }, (_, i) => options.port + 1 + i)
  const common = { DATABASE_URL: databaseUrl, HOST: "127.0.0.1" }
  for (let i = 0; i < options.dispatchers; i++) {
    yield* spawnRole("dispatcher", {
      ...common,
      PORT: String(options.port + 1 + options.gateways + i),
      SIGNAL_RUNNER_PORT: String(options.runnerBasePort + i)
    })
  }
  for (const port of gatewayPorts) yield* spawnRole("gateway", { ...common, PORT: String(port) })
  yield* roundRobinProxy(options.port, host, gatewayPorts)
  yield* Effect.logInfo(
    `local cluster: ${options.gateways} gateway(s) on ${gatewayPorts.join(", ")}, ${options.dispatchers} dispatcher(s) ` +
      `(HTTP ${options.port + 1 + options.gateways}…, runner ${options.runnerBasePort}…), entry http://${host}:${options.port}`
  )
  return yield* Effect.never
}, Effect.scoped)
