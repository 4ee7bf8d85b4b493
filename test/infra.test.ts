/**
 * Deployment configuration cross-checks: Dockerfile, docker-compose, nginx, the OpenTelemetry
 * Collector, Prometheus, Grafana and the Kubernetes (kustomize) base must agree with each other
 * and with what the Signal processes actually read (env vars, ports, metric names, probes).
 */
import { execFileSync } from "node:child_process"
import { accessSync, constants, existsSync, readFileSync } from "node:fs"
import { delimiter, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { parse, parseAllDocuments } from "yaml"
import { SIGNAL_METRIC_TYPES } from "./support/metrics"

const root = resolve(fileURLToPath(new URL(".", import.meta.url)), "..")
const read = (path: string) => readFileSync(join(root, path), "utf8")
const readYaml = (path: string): unknown => parse(read(path), { merge: true })

const GATEWAY_PORT = 25050
const RUNNER_PORT = 34431
const SIGNAL_IMAGE = "ghcr.io/signal-webhooks/signal"

/** Every environment variable a Signal process reads. */
const SIGNAL_ENV = new Set([
  "SIGNAL_ROLE",
  "PORT",
  "HOST",
  "SIGNAL_RUNNER_PORT",
  "SIGNAL_RUNNER_HOST",
  "DATABASE_URL",
  "SIGNAL_DATA_DIR",
  "SIGNAL_ADMIN_KEY",
  "SIGNAL_ALLOW_PRIVATE_NETWORKS",
  "SIGNAL_LOG_FORMAT",
  "SIGNAL_LOG_LEVEL",
  "OTEL_EXPORTER_OTLP_ENDPOINT",
  "OTEL_EXPORTER_OTLP_PROTOCOL",
  "OTEL_SERVICE_NAME"
])

/** Every Prometheus metric the Signal processes export. */
const SIGNAL_METRICS = new Set<string>(Object.keys(SIGNAL_METRIC_TYPES))

// ---------------------------------------------------------------------------------------------
// small typed accessors over parsed YAML/JSON

type Obj = Record<string, unknown>

const isObj = (value: unknown): value is Obj => typeof value === "object" && value !== null && !Array.isArray(value)

const obj = (value: unknown, what: string): Obj => {
  if (!isObj(value)) throw new Error(`${what}: expected a mapping, got ${JSON.stringify(value)}`)
  return value
}
const arr = (value: unknown, what: string): Array<unknown> => {
  if (!Array.isArray(value)) throw new Error(`${what}: expected a list, got ${JSON.stringify(value)}`)
  return value
}
const str = (value: unknown, what: string): string => {
  if (typeof value === "number") return String(value)
  if (typeof value !== "string") throw new Error(`${what}: expected a string, got ${JSON.stringify(value)}`)
  return value
}
const optArr = (value: unknown, what: string): Array<unknown> => (value === undefined ? [] : arr(value, what))

/** `a.b.c` lookup that fails loudly. */
const at = (value: unknown, path: string): unknown => {
  let current: unknown = value
  for (const key of path.split(".")) current = obj(current, path)[key]
  return current
}

/** Every nested value (objects and arrays), depth first. */
const walk = function* (value: unknown): Generator<unknown> {
  yield value
  if (Array.isArray(value)) for (const item of value) yield* walk(item)
  else if (isObj(value)) for (const item of Object.values(value)) yield* walk(item)
}

const portOf = (hostPort: string) => Number(hostPort.replace(/^[a-z]+:\/\//, "").split("/")[0]!.split(":").at(-1))
const hostOf = (hostPort: string) => hostPort.replace(/^[a-z]+:\/\//, "").split("/")[0]!.split(":")[0]!

// ---------------------------------------------------------------------------------------------
// docker-compose

const compose = obj(readYaml("docker-compose.yml"), "docker-compose.yml")
const services = obj(compose.services, "services")
const service = (name: string) => obj(services[name], `service ${name}`)

/** Compose `environment` as a map (both the map and the `KEY=value` list forms). */
const envOf = (svc: Obj): Record<string, string> => {
  const env = svc.environment
  if (env === undefined) return {}
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((entry) => {
        const [key, ...rest] = str(entry, "environment entry").split("=")
        return [key!, rest.join("=")]
      })
    )
  }
  return Object.fromEntries(Object.entries(obj(env, "environment")).map(([k, v]) => [k, v === null ? "" : str(v, k)]))
}

/** `"8080:80"`, `"127.0.0.1:8080:80/tcp"`, `80`, or the long form → { host?, container }. */
const composePorts = (svc: Obj) =>
  optArr(svc.ports, "ports").map((entry) => {
    if (isObj(entry)) {
      return { host: entry.published === undefined ? undefined : Number(entry.published), container: Number(entry.target) }
    }
    const parts = str(entry, "port").replace(/\/(tcp|udp)$/, "").split(":")
    const container = Number(parts.at(-1))
    return { host: parts.length > 1 ? Number(parts.at(-2)) : undefined, container }
  })

/** Ports reachable inside the compose network: published container ports plus `expose`. */
const containerPorts = (svc: Obj) =>
  new Set([...composePorts(svc).map((p) => p.container), ...optArr(svc.expose, "expose").map((p) => Number(p))])

const bindMounts = (svc: Obj) =>
  optArr(svc.volumes, "volumes")
    .map((v) => (isObj(v) ? `${str(v.source, "source")}:${str(v.target, "target")}` : str(v, "volume")))
    .filter((v) => v.startsWith("./"))
    .map((v) => {
      const [source, target] = v.split(":")
      return { source: source!, target: target! }
    })

const signalServices = Object.entries(services)
  .filter(([, svc]) => str(obj(svc, "service").image, "image").startsWith(`${SIGNAL_IMAGE}:`))
  .map(([name]) => name)

describe("Dockerfile", () => {
  const dockerfile = read("Dockerfile")
  // join `\` continuations, drop comments
  const instructions = dockerfile
    .replace(/\\\r?\n/g, " ")
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
  const instruction = (name: string) =>
    instructions.filter((line) => line.toUpperCase().startsWith(`${name} `)).map((line) => line.slice(name.length + 1).trim())

  it("builds from node:20-slim, installs with npm ci and runs npm start", () => {
    expect(instruction("FROM")).toEqual(["node:20-slim"])
    expect(instruction("RUN").some((run) => /\bnpm ci\b/.test(run))).toBe(true)
    expect(JSON.parse(instruction("CMD").at(-1)!)).toEqual(["npm", "start"])
    const pkg = obj(JSON.parse(read("package.json")), "package.json")
    expect(at(pkg, "scripts.start")).toBe("node --import tsx/esm packages/server/src/main.ts start")
  })

  it("copies every workspace manifest before npm ci (lockfile install works)", () => {
    const pkg = obj(JSON.parse(read("package.json")), "package.json")
    const copies = instruction("COPY")
    expect(copies.some((c) => c.includes("package.json") && c.includes("package-lock.json"))).toBe(true)
    for (const workspace of arr(pkg.workspaces, "workspaces")) {
      const manifest = `${str(workspace, "workspace")}/package.json`
      expect(existsSync(join(root, manifest)), manifest).toBe(true)
      expect(copies.some((c) => c.split(/\s+/)[0] === manifest), `COPY ${manifest}`).toBe(true)
    }
    const firstNpmCi = instructions.findIndex((line) => /^RUN .*\bnpm ci\b/.test(line))
    const copyAll = instructions.findIndex((line) => /^COPY \. \.?\/?$/.test(line) || line === "COPY . .")
    expect(firstNpmCi).toBeGreaterThan(0)
    expect(copyAll).toBeGreaterThan(firstNpmCi)
  })

  it("listens on all interfaces, exposes the API and runner ports, and sets only known env vars", () => {
    const env = Object.fromEntries(
      instruction("ENV").flatMap((line) =>
        [...line.matchAll(/([A-Z_][A-Z0-9_]*)=("[^"]*"|\S+)/g)].map((m) => [m[1]!, m[2]!.replace(/^"|"$/g, "")])
      )
    )
    expect(Object.keys(env).length).toBeGreaterThan(0)
    for (const key of Object.keys(env)) expect(SIGNAL_ENV.has(key), `ENV ${key}`).toBe(true)
    expect(env.HOST).toBe("0.0.0.0")
    expect(Number(env.PORT)).toBe(GATEWAY_PORT)
    expect(Number(env.SIGNAL_RUNNER_PORT)).toBe(RUNNER_PORT)
    const exposed = instruction("EXPOSE").flatMap((line) => line.split(/\s+/).map(Number))
    expect(exposed).toEqual(expect.arrayContaining([GATEWAY_PORT, RUNNER_PORT]))
    const healthcheck = instruction("HEALTHCHECK").join(" ")
    expect(healthcheck).toContain("/health")
  })

  it("keeps node_modules, git metadata and local data out of the build context", () => {
    const ignored = read(".dockerignore")
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line !== "" && !line.startsWith("#"))
    expect(ignored).toEqual(expect.arrayContaining(["node_modules", ".git", ".signal"]))
    // the install needs these
    for (const needed of ["package.json", "package-lock.json", "packages", "tsconfig.json"]) {
      expect(ignored).not.toContain(needed)
    }
  })
})

describe("docker-compose.yml", () => {
  it("has the whole stack", () => {
    expect(Object.keys(services)).toEqual(
      expect.arrayContaining([
        "postgres",
        "signal-gateway",
        "signal-dispatcher",
        "nginx",
        "otel-collector",
        "jaeger",
        "prometheus",
        "grafana"
      ])
    )
    expect(signalServices).toEqual(expect.arrayContaining(["signal-gateway", "signal-dispatcher"]))
  })

  it("pins every image to a tag (only the locally built Signal image may be :latest)", () => {
    for (const [name, raw] of Object.entries(services)) {
      const svc = obj(raw, name)
      const image = str(svc.image, `${name}.image`)
      const lastSegment = image.split("/").at(-1)!
      expect(lastSegment, `${name}: ${image}`).toMatch(/^[a-z0-9._-]+:[A-Za-z0-9._-]+$/)
      if (svc.build === undefined) expect(image.endsWith(":latest"), `${name}: ${image}`).toBe(false)
      else expect(image.startsWith(`${SIGNAL_IMAGE}:`), `${name} builds ${image}`).toBe(true)
    }
    expect(str(service("postgres").image, "image")).toBe("postgres:16-alpine")
    expect(str(service("otel-collector").image, "image")).toMatch(/^otel\/opentelemetry-collector-contrib:/)
    expect(str(service("jaeger").image, "image")).toMatch(/^jaegertracing\/all-in-one:/)
  })

  it("only depends on services that exist", () => {
    let edges = 0
    for (const [name, raw] of Object.entries(services)) {
      const dependsOn = obj(raw, name).depends_on
      if (dependsOn === undefined) continue
      const targets = Array.isArray(dependsOn) ? dependsOn.map((d) => str(d, "depends_on")) : Object.keys(obj(dependsOn, "depends_on"))
      for (const target of targets) {
        expect(Object.keys(services), `${name} depends on ${target}`).toContain(target)
        expect(target).not.toBe(name)
        edges++
      }
      if (!Array.isArray(dependsOn)) {
        for (const [target, cond] of Object.entries(obj(dependsOn, "depends_on"))) {
          const condition = str(obj(cond, target).condition, `${name} → ${target} condition`)
          expect(["service_started", "service_healthy", "service_completed_successfully"]).toContain(condition)
          if (condition === "service_healthy") {
            const healthy = obj(services[target], target)
            const ownCheck = healthy.healthcheck !== undefined && !isObj(healthy.healthcheck) ? false : healthy.healthcheck
            // either a compose healthcheck, or the Signal image's Dockerfile HEALTHCHECK
            expect(
              (isObj(ownCheck) && ownCheck.disable !== true) || signalServices.includes(target),
              `${target} has a healthcheck`
            ).toBe(true)
          }
        }
      }
    }
    expect(edges).toBeGreaterThan(5)
  })

  it("gives Signal services only env vars Signal reads, and wires them to postgres and the collector", () => {
    const postgresEnv = envOf(service("postgres"))
    expect(postgresEnv).toMatchObject({ POSTGRES_USER: "signal", POSTGRES_PASSWORD: "signal", POSTGRES_DB: "signal" })
    expect(service("postgres").healthcheck).toBeDefined()
    const collector = obj(readYaml("otel-collector.yaml"), "otel-collector.yaml")
    const httpReceiver = str(at(collector, "receivers.otlp.protocols.http.endpoint"), "otlp http endpoint")

    for (const name of signalServices) {
      const env = envOf(service(name))
      for (const key of Object.keys(env)) expect(SIGNAL_ENV.has(key), `${name}: ${key}`).toBe(true)
      const command = optArr(service(name).command, "command").map((c) => str(c, "command")).join(" ")
      for (const match of command.matchAll(/\b((?:SIGNAL|OTEL)_[A-Z0-9_]+)/g)) {
        expect(SIGNAL_ENV.has(match[1]!), `${name} command: ${match[1]}`).toBe(true)
      }
      expect(env.HOST, name).toBe("0.0.0.0")
      expect(Number(env.PORT), name).toBe(GATEWAY_PORT)
      const db = new URL(env.DATABASE_URL!)
      expect(db.protocol).toBe("postgres:")
      expect(Object.keys(services)).toContain(db.hostname)
      expect(db.hostname).toBe("postgres")
      expect(db.username).toBe(postgresEnv.POSTGRES_USER)
      expect(db.password).toBe(postgresEnv.POSTGRES_PASSWORD)
      expect(db.pathname).toBe(`/${postgresEnv.POSTGRES_DB}`)
      expect(env.OTEL_EXPORTER_OTLP_ENDPOINT).toBe("http://otel-collector:4318")
      expect(env.OTEL_EXPORTER_OTLP_PROTOCOL).toMatch(/^http\//)
      const otel = new URL(env.OTEL_EXPORTER_OTLP_ENDPOINT!)
      expect(Number(otel.port)).toBe(portOf(httpReceiver))
      expect(containerPorts(service(otel.hostname)).has(Number(otel.port))).toBe(true)
    }
  })

  it("runs two gateways and two dispatcher runners on the agreed ports", () => {
    const gateway = service("signal-gateway")
    const dispatcher = service("signal-dispatcher")
    expect(at(gateway, "deploy.replicas")).toBe(2)
    expect(at(dispatcher, "deploy.replicas")).toBe(2)
    expect(envOf(gateway).SIGNAL_ROLE).toBe("gateway")
    expect(envOf(dispatcher).SIGNAL_ROLE).toBe("dispatcher")
    expect(containerPorts(gateway).has(GATEWAY_PORT)).toBe(true)
    expect(containerPorts(dispatcher).has(GATEWAY_PORT)).toBe(true)
    expect(containerPorts(dispatcher).has(RUNNER_PORT)).toBe(true)
    expect(Number(envOf(dispatcher).SIGNAL_RUNNER_PORT)).toBe(RUNNER_PORT)
    // replicas can't share fixed host ports: the gateways are reached through nginx
    expect(composePorts(gateway).filter((p) => p.host !== undefined)).toEqual([])
    expect(composePorts(dispatcher).filter((p) => p.host !== undefined)).toEqual([])
    // each dispatcher replica advertises its own address
    const command = optArr(dispatcher.command, "command").map((c) => str(c, "command")).join(" ")
    expect(command).toMatch(/SIGNAL_RUNNER_HOST=/)
    expect(command).toMatch(/npm start/)
  })

  it("mounts config files that exist", () => {
    let mounts = 0
    for (const [name, raw] of Object.entries(services)) {
      for (const mount of bindMounts(obj(raw, name))) {
        expect(existsSync(join(root, mount.source)), `${name}: ${mount.source}`).toBe(true)
        mounts++
      }
    }
    expect(mounts).toBeGreaterThanOrEqual(5)
  })
})

describe("nginx load balancer", () => {
  const conf = read("infra/nginx/nginx.conf").replace(/#[^\n]*/g, "")

  it("publishes host port 25050 and balances over the gateway replicas on 25050", () => {
    const nginx = service("nginx")
    expect(bindMounts(nginx)).toContainEqual({ source: "./infra/nginx/nginx.conf", target: "/etc/nginx/nginx.conf" })
    const listen = [...conf.matchAll(/^\s*listen\s+(\d+)/gm)].map((m) => Number(m[1]))
    expect(listen.length).toBe(1)
    const published = composePorts(nginx).find((p) => p.host === GATEWAY_PORT)
    expect(published?.container).toBe(listen[0])

    const upstreams = [...conf.matchAll(/upstream\s+(\S+)\s*\{([^}]*)\}/g)]
    expect(upstreams.length).toBe(1)
    const [, upstreamName, body] = upstreams[0]!
    const servers = [...body!.matchAll(/^\s*server\s+([^\s;]+)/gm)].map((m) => m[1]!)
    expect(servers.length).toBeGreaterThan(0)
    for (const server of servers) {
      expect(hostOf(server)).toBe("signal-gateway")
      expect(portOf(server)).toBe(GATEWAY_PORT)
    }
    expect(conf).toContain(`proxy_pass http://${upstreamName};`)
    // nginx must not replay a POST that reached a gateway (no duplicate events)
    expect(conf).not.toMatch(/proxy_next_upstream[^;]*non_idempotent/)
  })
})

describe("otel-collector.yaml", () => {
  const collector = obj(readYaml("otel-collector.yaml"), "otel-collector.yaml")
  const pipelines = obj(at(collector, "service.pipelines"), "pipelines")

  it("has trace and metric pipelines that use only defined components", () => {
    expect(Object.keys(pipelines)).toEqual(expect.arrayContaining(["traces", "metrics"]))
    for (const [name, raw] of Object.entries(pipelines)) {
      const pipeline = obj(raw, name)
      for (const kind of ["receivers", "processors", "exporters"] as const) {
        const defined = Object.keys(obj(collector[kind], kind))
        const used = arr(pipeline[kind] ?? [], `${name}.${kind}`)
        if (kind !== "processors") expect(used.length, `${name}.${kind}`).toBeGreaterThan(0)
        for (const component of used) expect(defined, `${name} uses ${kind} ${String(component)}`).toContain(component)
      }
    }
    for (const extension of optArr(at(collector, "service.extensions"), "extensions")) {
      expect(Object.keys(obj(collector.extensions, "extensions"))).toContain(extension)
    }
    expect(arr(at(pipelines, "traces.processors"), "traces.processors")).toContain("batch")
    expect(arr(at(pipelines, "traces.exporters"), "traces.exporters")).toContain("otlp/jaeger")
    expect(arr(at(pipelines, "metrics.exporters"), "metrics.exporters")).toContain("prometheus")
  })

  it("listens where compose publishes it and exports to services that exist", () => {
    const otel = service("otel-collector")
    const grpc = str(at(collector, "receivers.otlp.protocols.grpc.endpoint"), "grpc endpoint")
    const http = str(at(collector, "receivers.otlp.protocols.http.endpoint"), "http endpoint")
    expect(portOf(grpc)).toBe(4317)
    expect(portOf(http)).toBe(4318)
    // bound on all interfaces, otherwise nothing outside the container reaches it
    expect(hostOf(grpc)).toBe("0.0.0.0")
    expect(hostOf(http)).toBe("0.0.0.0")
    const published = composePorts(otel).map((p) => p.container)
    expect(published).toEqual(expect.arrayContaining([portOf(grpc), portOf(http)]))
    const promExporter = str(at(collector, "exporters.prometheus.endpoint"), "prometheus exporter")
    expect(portOf(promExporter)).toBe(8889)
    expect(containerPorts(otel).has(8889)).toBe(true)
    expect(bindMounts(otel).map((m) => m.source)).toContain("./otel-collector.yaml")

    const jaeger = str(at(collector, "exporters.otlp/jaeger.endpoint"), "jaeger endpoint")
    expect(hostOf(jaeger)).toBe("jaeger")
    expect(portOf(jaeger)).toBe(4317)
    expect(at(collector, "exporters.otlp/jaeger.tls.insecure")).toBe(true)
    expect(String(envOf(service("jaeger")).COLLECTOR_OTLP_ENABLED)).toBe("true")
    expect(containerPorts(service("jaeger")).has(16686)).toBe(true)
  })
})

describe("prometheus.yml", () => {
  const prometheus = obj(readYaml("infra/prometheus/prometheus.yml"), "prometheus.yml")
  const jobs = arr(prometheus.scrape_configs, "scrape_configs").map((job) => obj(job, "scrape config"))
  const job = (name: string) => {
    const found = jobs.find((j) => j.job_name === name)
    if (!found) throw new Error(`no scrape job ${name}`)
    return found
  }
  /** host:port of every static and DNS target. */
  const targets = (j: Obj) => [
    ...optArr(j.static_configs, "static_configs").flatMap((c) => arr(obj(c, "static").targets, "targets").map((t) => str(t, "target"))),
    ...optArr(j.dns_sd_configs, "dns_sd_configs").flatMap((c) => {
      const sd = obj(c, "dns_sd")
      return arr(sd.names, "names").map((n) => `${str(n, "name")}:${str(sd.port, "port")}`)
    })
  ]

  it("scrapes every gateway and dispatcher on /metrics at the HTTP port", () => {
    for (const name of ["signal-gateway", "signal-dispatcher"]) {
      const j = job(name)
      expect(j.metrics_path ?? "/metrics").toBe("/metrics")
      const ts = targets(j)
      expect(ts.length).toBeGreaterThan(0)
      for (const target of ts) {
        expect(hostOf(target)).toBe(name)
        expect(portOf(target)).toBe(GATEWAY_PORT)
        expect(containerPorts(service(name)).has(portOf(target))).toBe(true)
      }
    }
  })

  it("scrapes the collector's prometheus exporter, and only targets that exist", () => {
    expect(targets(job("otel-collector"))).toContain("otel-collector:8889")
    for (const j of jobs) {
      for (const target of targets(j)) {
        const host = hostOf(target)
        if (host === "localhost") continue
        expect(Object.keys(services), `${String(j.job_name)} → ${target}`).toContain(host)
        expect(containerPorts(service(host)).has(portOf(target)), target).toBe(true)
      }
    }
    expect(bindMounts(service("prometheus"))).toContainEqual({
      source: "./infra/prometheus/prometheus.yml",
      target: "/etc/prometheus/prometheus.yml"
    })
  })
})

describe("grafana", () => {
  const datasources = arr(
    obj(readYaml("infra/grafana/provisioning/datasources/datasources.yml"), "datasources.yml").datasources,
    "datasources"
  ).map((d) => obj(d, "datasource"))
  const uids = new Set(datasources.map((d) => str(d.uid, "uid")))
  const dashboard = obj(JSON.parse(read("infra/grafana/dashboards/signal.json")), "signal.json")
  const panels = arr(dashboard.panels, "panels").flatMap((p) => {
    const panel = obj(p, "panel")
    return [panel, ...optArr(panel.panels, "row panels").map((inner) => obj(inner, "panel"))]
  })

  /** Datasource uids in panel/target `datasource` fields and inside Explore link URLs. */
  const referencedUids = () => {
    const found: Array<string> = []
    const collect = (value: unknown) => {
      for (const node of walk(value)) {
        if (!isObj(node)) continue
        if (isObj(node.datasource) && node.datasource.uid !== undefined) found.push(str(node.datasource.uid, "uid"))
        else if (typeof node.datasource === "string") found.push(node.datasource)
        if (typeof node.datasourceUid === "string") found.push(node.datasourceUid)
      }
    }
    collect(dashboard)
    for (const url of exploreUrls()) collect(url.panes)
    return found
  }
  const exploreUrls = () =>
    [...walk(dashboard)]
      .filter(isObj)
      .map((node) => node.url)
      .filter((url): url is string => typeof url === "string" && url.includes("/explore"))
      .map((url) => {
        const panes = new URL(url, "http://grafana.local").searchParams.get("panes")
        if (panes === null) throw new Error(`explore link without panes: ${url}`)
        return { url, panes: JSON.parse(panes) as unknown }
      })

  const expressions = () =>
    panels.flatMap((panel) =>
      optArr(panel.targets, "targets")
        .map((t) => obj(t, "target"))
        .filter((t) => typeof t.expr === "string")
        .map((t) => ({ panel: str(panel.title, "title"), expr: t.expr as string }))
    )

  /** Metric names in a PromQL expression (labels, ranges, strings, grouping and functions removed). */
  const metricNames = (expr: string) => {
    const keywords = new Set(["by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset", "inf", "nan"])
    const cleaned = expr
      .replace(/"(?:[^"\\]|\\.)*"/g, " ")
      .replace(/\{[^}]*\}/g, " ")
      .replace(/\[[^\]]*\]/g, " ")
      .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ")
      .replace(/\$\{[^}]*\}|\$\w+/g, " ")
      .replace(/\b\d+(?:\.\d+)?(?:[eE][+-]?\d+)?\b/g, " ")
    return [...cleaned.matchAll(/([A-Za-z_:][A-Za-z0-9_:]*)\s*(\()?/g)]
      .filter((m) => m[2] === undefined && !keywords.has(m[1]!.toLowerCase()))
      .map((m) => m[1]!)
  }
  const baseName = (metric: string) => metric.replace(/_(bucket|sum|count)$/, "")

  it("provisions Prometheus and Jaeger with explicit uids pointing at compose services", () => {
    const byUid = (uid: string) => datasources.find((d) => d.uid === uid)
    expect(byUid("prometheus")?.type).toBe("prometheus")
    expect(byUid("jaeger")?.type).toBe("jaeger")
    for (const ds of datasources) {
      expect(typeof ds.uid).toBe("string")
      const url = new URL(str(ds.url, "url"))
      expect(Object.keys(services)).toContain(url.hostname)
      expect(containerPorts(service(url.hostname)).has(Number(url.port))).toBe(true)
    }
    // datasource → datasource references (exemplars, traces to metrics)
    for (const node of walk(datasources)) {
      if (isObj(node) && typeof node.datasourceUid === "string") expect(uids).toContain(node.datasourceUid)
    }
  })

  it("loads dashboards from the directory compose mounts", () => {
    const providers = arr(
      obj(readYaml("infra/grafana/provisioning/dashboards/dashboards.yml"), "dashboards.yml").providers,
      "providers"
    ).map((p) => obj(p, "provider"))
    expect(providers.length).toBeGreaterThan(0)
    const grafana = service("grafana")
    const mounts = bindMounts(grafana)
    expect(mounts).toContainEqual({ source: "./infra/grafana/provisioning", target: "/etc/grafana/provisioning" })
    for (const provider of providers) {
      expect(provider.type).toBe("file")
      const path = str(at(provider, "options.path"), "options.path")
      expect(path).toBe("/var/lib/grafana/dashboards")
      const mount = mounts.find((m) => m.target === path)
      expect(mount?.source).toBe("./infra/grafana/dashboards")
      expect(existsSync(join(root, mount!.source, "signal.json"))).toBe(true)
    }
  })

  it("references only provisioned datasource uids", () => {
    const found = referencedUids()
    expect(found.length).toBeGreaterThan(panels.length)
    expect(new Set(found)).toEqual(new Set(["prometheus", "jaeger"]))
    for (const uid of found) expect(uids, uid).toContain(uid)
    for (const panel of panels) {
      if (panel.type === "row") continue
      expect(panel.datasource, `panel ${String(panel.title)}`).toBeDefined()
      for (const t of optArr(panel.targets, "targets")) {
        expect(obj(t, "target").datasource, `target of ${String(panel.title)}`).toBeDefined()
      }
    }
  })

  it("queries only metrics Signal exports, and every one of them", () => {
    const exprs = expressions()
    expect(exprs.length).toBeGreaterThan(10)
    const used = new Set<string>()
    for (const { panel, expr } of exprs) {
      const names = metricNames(expr)
      expect(names.length, `${panel}: ${expr}`).toBeGreaterThan(0)
      for (const name of names) {
        expect(SIGNAL_METRICS.has(baseName(name)), `${panel}: ${name} in ${expr}`).toBe(true)
        // only histograms have _bucket/_sum/_count series
        if (name !== baseName(name)) expect(baseName(name)).toBe("signal_attempt_duration_seconds")
        used.add(baseName(name))
      }
    }
    expect([...used].sort()).toEqual([...SIGNAL_METRICS].sort())
    // the extractor itself
    expect(metricNames('histogram_quantile(0.99, sum by (le) (rate(a_bucket{job=~"$job"}[$__rate_interval])))')).toEqual(["a_bucket"])
  })

  it("has the operator panels: throughput, success rate, latency quantiles, queues, circuits, shards, traces", () => {
    const titles = panels.map((p) => str(p.title, "title"))
    for (const title of [/throughput/i, /success rate/i, /latency/i, /queue/i, /circuit/i, /shards/i, /traces/i]) {
      expect(titles.some((t) => title.test(t)), String(title)).toBe(true)
    }
    const exprs = expressions().map((e) => e.expr)
    for (const quantile of ["0.5", "0.95", "0.99"]) {
      expect(
        exprs.some((e) => e.startsWith(`histogram_quantile(${quantile},`) && e.includes("signal_attempt_duration_seconds_bucket") && /by \(le\)/.test(e))
      ).toBe(true)
    }
    const outcomeMatchers = exprs.flatMap((e) => [...e.matchAll(/outcome=~?"([^"]*)"/g)].map((m) => m[1]!))
    for (const outcome of ["succeeded", "failed"]) {
      expect(outcomeMatchers.some((m) => m.split("|").includes(outcome)), outcome).toBe(true)
    }
    expect(exprs.some((e) => /by \(outcome\)/.test(e) && e.includes("signal_deliveries_total"))).toBe(true)
    const circuits = panels.find((p) => /circuit states/i.test(str(p.title, "title")))!
    const circuitExprs = optArr(circuits.targets, "targets").map((t) => str(obj(t, "target").expr, "expr"))
    expect(circuitExprs.some((e) => /by \(state\)/.test(e) && e.includes("signal_circuit_state"))).toBe(true)
    const colored = [...walk(circuits.fieldConfig)].filter(isObj).filter((n) => isObj(n.matcher)).map((n) => at(n, "matcher.options"))
    expect(colored.sort()).toEqual(["closed", "half_open", "open"])
    expect(exprs.some((e) => /by \(runner\)/.test(e) && e.includes("signal_runner_shards"))).toBe(true)
    // every `$var` used in a query is defined
    const variables = new Set(optArr(at(dashboard, "templating.list"), "templating").map((v) => str(obj(v, "variable").name, "name")))
    for (const expr of exprs) {
      for (const m of expr.matchAll(/\$(\w+)/g)) if (!m[1]!.startsWith("__")) expect(variables, expr).toContain(m[1])
    }
  })

  it("links to traces in Jaeger (Explore link, trace table and exemplars)", () => {
    const links = exploreUrls()
    expect(links.length).toBeGreaterThanOrEqual(2)
    for (const { panes } of links) {
      const queries = [...walk(panes)].filter(isObj).filter((n) => n.queryType === "search")
      expect(queries.length).toBeGreaterThan(0)
      for (const q of queries) expect(q.service).toBe("signal")
    }
    const dashboardLinks = optArr(dashboard.links, "links").map((l) => str(obj(l, "link").url, "url"))
    expect(dashboardLinks.some((url) => url.includes("/explore"))).toBe(true)
    const traceTable = panels.find((p) => isObj(p.datasource) && p.datasource.uid === "jaeger")
    expect(traceTable).toBeDefined()
    expect(optArr(traceTable!.targets, "targets").map((t) => obj(t, "target").service)).toContain("signal")
    const prometheus = datasources.find((d) => d.uid === "prometheus")!
    expect(at(prometheus, "jsonData.exemplarTraceIdDestinations")).toContainEqual(expect.objectContaining({ datasourceUid: "jaeger" }))
    // the service name the traces are searched under is the one Signal reports
    for (const name of signalServices) expect(envOf(service(name)).OTEL_SERVICE_NAME).toBe("signal")
  })
})

// ---------------------------------------------------------------------------------------------
// Kubernetes (kustomize base)

const k8sDir = join(root, "infra/k8s")
const kustomization = obj(parse(readFileSync(join(k8sDir, "kustomization.yaml"), "utf8")), "kustomization.yaml")
const resourceFiles = arr(kustomization.resources, "resources").map((r) => str(r, "resource"))

const onPath = (command: string) =>
  (process.env.PATH ?? "").split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, command), constants.X_OK)
      return true
    } catch {
      return false
    }
  })

const parseDocs = (text: string) =>
  parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(doc.errors.map((e) => e.message).join("\n"))
      return doc.toJS() as unknown
    })
    .filter((doc) => doc !== null && doc !== undefined)
    .map((doc) => obj(doc, "manifest"))

/** The listed resource files, with the kustomization's namespace applied as kustomize would. */
const fromFiles = () =>
  resourceFiles.flatMap((file) =>
    parseDocs(readFileSync(join(k8sDir, file), "utf8")).map((doc) => {
      const metadata = obj(doc.metadata, `${file} metadata`)
      if (doc.kind !== "Namespace" && typeof kustomization.namespace === "string") {
        return { ...doc, metadata: { ...metadata, namespace: kustomization.namespace } }
      }
      return doc
    })
  )

const hasKubectl = onPath("kubectl")
const built = hasKubectl
  ? parseDocs(execFileSync("kubectl", ["kustomize", k8sDir], { encoding: "utf8", timeout: 60_000 }))
  : fromFiles()

const ofKind = (kind: string) => built.filter((d) => d.kind === kind)
const named = (kind: string, name: string) => {
  const found = built.find((d) => d.kind === kind && at(d, "metadata.name") === name)
  if (!found) throw new Error(`no ${kind} ${name}`)
  return found
}
const deployment = (component: string) => named("Deployment", `signal-${component}`)
const podSpec = (d: Obj) => obj(at(d, "spec.template.spec"), "pod spec")
const container = (d: Obj) => {
  const containers = arr(podSpec(d).containers, "containers").map((c) => obj(c, "container"))
  expect(containers.length).toBe(1)
  return containers[0]!
}
const containerPort = (c: Obj, port: unknown) => {
  if (typeof port === "number") return port
  const found = optArr(c.ports, "ports").map((p) => obj(p, "port")).find((p) => p.name === port)
  if (!found) throw new Error(`no container port named ${String(port)}`)
  return Number(found.containerPort)
}
const matches = (selector: Obj, labels: Obj) =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v)

describe(`kubernetes base (${hasKubectl ? "kubectl kustomize" : "resource files, kubectl not on PATH"})`, () => {
  it("lists resource files that exist, and builds into exactly them", () => {
    expect(resourceFiles.length).toBeGreaterThanOrEqual(9)
    for (const file of resourceFiles) expect(existsSync(join(k8sDir, file)), file).toBe(true)
    expect(kustomization.namespace).toBe("signal")
    const key = (d: Obj) => `${String(d.kind)}/${String(at(d, "metadata.name"))}`
    expect(built.map(key).sort()).toEqual(fromFiles().map(key).sort())
  })

  it("has the expected kinds, all in the signal namespace", () => {
    const count = (kind: string) => ofKind(kind).length
    expect(count("Deployment")).toBe(2)
    expect(count("Service")).toBe(2)
    expect(count("ConfigMap")).toBe(1)
    expect(count("Secret")).toBe(1)
    expect(count("HorizontalPodAutoscaler")).toBe(1)
    expect(count("PodDisruptionBudget")).toBe(1)
    expect(count("Namespace")).toBe(1)
    expect(at(ofKind("Namespace")[0], "metadata.name")).toBe("signal")
    for (const doc of built) {
      if (doc.kind === "Namespace") continue
      expect(at(doc, "metadata.namespace"), `${String(doc.kind)} ${String(at(doc, "metadata.name"))}`).toBe("signal")
    }
  })

  it("configures Signal only with env vars it reads", () => {
    const configMap = ofKind("ConfigMap")[0]!
    const secret = ofKind("Secret")[0]!
    const data = obj(configMap.data, "configmap data")
    const secretData = obj(secret.stringData, "secret stringData")
    expect(Object.keys(secretData).sort()).toEqual(["DATABASE_URL", "SIGNAL_ADMIN_KEY"])
    expect(str(secretData.DATABASE_URL, "DATABASE_URL")).toMatch(/^postgres(ql)?:\/\//)
    expect(data).toMatchObject({ HOST: "0.0.0.0", PORT: String(GATEWAY_PORT), SIGNAL_RUNNER_PORT: String(RUNNER_PORT) })
    for (const key of [...Object.keys(data), ...Object.keys(secretData)]) expect(SIGNAL_ENV.has(key), key).toBe(true)

    for (const component of ["gateway", "dispatcher"]) {
      const c = container(deployment(component))
      expect(str(c.image, "image").startsWith(`${SIGNAL_IMAGE}:`)).toBe(true)
      const env = optArr(c.env, "env").map((e) => obj(e, "env"))
      for (const e of env) expect(SIGNAL_ENV.has(str(e.name, "env name")), String(e.name)).toBe(true)
      expect(env.find((e) => e.name === "SIGNAL_ROLE")?.value).toBe(component)
      const envFrom = arr(c.envFrom, "envFrom").map((e) => obj(e, "envFrom"))
      const configRefs = envFrom.filter((e) => e.configMapRef).map((e) => at(e, "configMapRef.name"))
      const secretRefs = envFrom.filter((e) => e.secretRef).map((e) => at(e, "secretRef.name"))
      expect(configRefs).toEqual([at(configMap, "metadata.name")])
      expect(secretRefs).toEqual([at(secret, "metadata.name")])
    }
  })

  it("probes /health (liveness) and /ready (readiness) on the HTTP port, with resources set", () => {
    for (const component of ["gateway", "dispatcher"]) {
      const d = deployment(component)
      const c = container(d)
      expect(at(c, "livenessProbe.httpGet.path")).toBe("/health")
      expect(at(c, "readinessProbe.httpGet.path")).toBe("/ready")
      for (const probe of ["livenessProbe", "readinessProbe", "startupProbe"]) {
        if (c[probe] === undefined) continue
        expect(containerPort(c, at(c, `${probe}.httpGet.port`)), `${component} ${probe}`).toBe(GATEWAY_PORT)
      }
      expect(containerPort(c, "http")).toBe(GATEWAY_PORT)
      expect(at(c, "resources.requests.cpu")).toBeDefined()
      expect(at(c, "resources.requests.memory")).toBeDefined()
      expect(at(c, "resources.limits.memory")).toBeDefined()
      const annotations = obj(at(d, "spec.template.metadata.annotations"), "annotations")
      expect(annotations["prometheus.io/port"]).toBe(String(GATEWAY_PORT))
      expect(annotations["prometheus.io/path"]).toBe("/metrics")
      expect(matches(obj(at(d, "spec.selector.matchLabels"), "selector"), obj(at(d, "spec.template.metadata.labels"), "labels"))).toBe(true)
    }
    expect(at(deployment("gateway"), "spec.replicas")).toBe(2)
    expect(at(deployment("dispatcher"), "spec.replicas")).toBe(3)
  })

  it("lets each dispatcher advertise its pod IP on the runner port and drain within 20 s", () => {
    const d = deployment("dispatcher")
    const c = container(d)
    const runnerHost = optArr(c.env, "env").map((e) => obj(e, "env")).find((e) => e.name === "SIGNAL_RUNNER_HOST")
    expect(at(runnerHost, "valueFrom.fieldRef.fieldPath")).toBe("status.podIP")
    expect(containerPort(c, "runner")).toBe(RUNNER_PORT)
    expect(podSpec(d).terminationGracePeriodSeconds).toBe(20)
  })

  it("exposes the gateways on port 80 and the runners through a headless service", () => {
    const serviceFor = (component: string) => {
      const labels = obj(at(deployment(component), "spec.template.metadata.labels"), "labels")
      const svc = ofKind("Service").filter((s) => matches(obj(at(s, "spec.selector"), "selector"), labels))
      expect(svc.length, component).toBe(1)
      return svc[0]!
    }
    const gatewaySvc = serviceFor("gateway")
    const gatewayPorts = arr(at(gatewaySvc, "spec.ports"), "ports").map((p) => obj(p, "port"))
    expect(gatewayPorts.map((p) => p.port)).toEqual([80])
    expect(containerPort(container(deployment("gateway")), gatewayPorts[0]!.targetPort)).toBe(GATEWAY_PORT)

    const dispatcherSvc = serviceFor("dispatcher")
    expect(at(dispatcherSvc, "spec.clusterIP")).toBe("None")
    const runner = arr(at(dispatcherSvc, "spec.ports"), "ports").map((p) => obj(p, "port")).find((p) => p.name === "runner")
    expect(runner?.port).toBe(RUNNER_PORT)
    expect(containerPort(container(deployment("dispatcher")), runner!.targetPort ?? runner!.port)).toBe(RUNNER_PORT)

    for (const ingress of ofKind("Ingress")) {
      for (const node of walk(ingress.spec)) {
        if (!isObj(node) || !isObj(node.service)) continue
        const backend = named("Service", str(node.service.name, "backend"))
        const port = obj(node.service.port, "backend port")
        const ports = arr(at(backend, "spec.ports"), "ports").map((p) => obj(p, "port"))
        expect(ports.some((p) => p.name === port.name || p.port === port.number)).toBe(true)
      }
    }
  })

  it("autoscales dispatchers on CPU and bounds their disruption", () => {
    const hpa = ofKind("HorizontalPodAutoscaler")[0]!
    expect(hpa.apiVersion).toBe("autoscaling/v2")
    expect(at(hpa, "spec.scaleTargetRef")).toMatchObject({ kind: "Deployment", name: "signal-dispatcher" })
    const metrics = arr(at(hpa, "spec.metrics"), "metrics").map((m) => obj(m, "metric"))
    expect(metrics.some((m) => m.type === "Resource" && at(m, "resource.name") === "cpu")).toBe(true)
    expect(Number(at(hpa, "spec.minReplicas"))).toBeLessThanOrEqual(Number(at(deployment("dispatcher"), "spec.replicas")))
    expect(Number(at(hpa, "spec.maxReplicas"))).toBeGreaterThan(Number(at(hpa, "spec.minReplicas")))
    // CPU utilization needs a CPU request
    expect(at(container(deployment("dispatcher")), "resources.requests.cpu")).toBeDefined()

    const pdb = ofKind("PodDisruptionBudget")[0]!
    expect(pdb.apiVersion).toBe("policy/v1")
    const dispatcherLabels = obj(at(deployment("dispatcher"), "spec.template.metadata.labels"), "labels")
    const gatewayLabels = obj(at(deployment("gateway"), "spec.template.metadata.labels"), "labels")
    const selector = obj(at(pdb, "spec.selector.matchLabels"), "pdb selector")
    expect(matches(selector, dispatcherLabels)).toBe(true)
    expect(matches(selector, gatewayLabels)).toBe(false)
    expect(at(pdb, "spec.maxUnavailable") ?? at(pdb, "spec.minAvailable")).toBeDefined()
  })
})

describe("admin key placeholders", () => {
  // Gateways bound to 0.0.0.0 refuse to start without an admin key of at least 16 characters.
  it("compose's default and the Kubernetes secret are keys a gateway accepts", () => {
    const composeDefault = /SIGNAL_ADMIN_KEY:\s*\$\{SIGNAL_ADMIN_KEY:-([^}]+)\}/.exec(read("docker-compose.yml"))
    const secret = /SIGNAL_ADMIN_KEY:\s*(\S+)/.exec(read("infra/k8s/secret.yaml"))
    expect(composeDefault?.[1].length).toBeGreaterThanOrEqual(16)
    expect(secret?.[1].length).toBeGreaterThanOrEqual(16)
  })
})
