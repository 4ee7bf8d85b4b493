/**
 * Deployment configuration cross-checks: the Dockerfile, docker-compose, nginx, the OpenTelemetry
 * Collector, Prometheus and Grafana must agree with each other and with what the Signal processes
 * actually read (env vars, ports, metric names, probes). Kubernetes: test/kubernetes.test.ts.
 */
import { GATEWAY_NODE_OPTIONS } from "@signal/server/HeapGrowth"
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { parse } from "yaml"
import { envOf as dockerEnvOf, execForm, parseDockerfile } from "./support/dockerfile"
import {
  arr,
  at,
  GATEWAY_PORT,
  isObj,
  type Obj,
  obj,
  optArr,
  root,
  RUNNER_PORT,
  SIGNAL_IMAGE,
  signalEnv,
  str,
  walk
} from "./support/manifest"
import { SIGNAL_METRIC_TYPES } from "./support/metrics"

const read = (path: string) => readFileSync(join(root, path), "utf8")
const readYaml = (path: string): unknown => parse(read(path), { merge: true })

/** Every Prometheus metric the Signal processes export. */
const SIGNAL_METRICS = new Set<string>(Object.keys(SIGNAL_METRIC_TYPES))

const portOf = (hostPort: string) => Number(hostPort.replace(/^[a-z]+:\/\//, "").split("/")[0]!.split(":").at(-1))
const hostOf = (hostPort: string) => hostPort.replace(/^[a-z]+:\/\//, "").split("/")[0]!.split(":")[0]!

const workspaces = arr(obj(JSON.parse(read("package.json")), "package.json").workspaces, "workspaces").map((w) => str(w, "workspace"))
const dockerfile = parseDockerfile(join(root, "Dockerfile"))
const imageEnv = dockerEnvOf(dockerfile.final)
/** The image's command line without tini: node's arguments, then the default `signal` command. */
const imageEntrypoint = execForm(dockerfile.final.all("ENTRYPOINT").at(-1)!)
const imageCmd = execForm(dockerfile.final.all("CMD").at(-1)!)

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
  const stage = (alias: string) => {
    const found = dockerfile.stages.find((s) => s.alias === alias)
    if (!found) throw new Error(`no stage ${alias}`)
    return found
  }
  const final = dockerfile.final

  it("builds in stages on a supported Node LTS", () => {
    expect(dockerfile.stages.length).toBeGreaterThanOrEqual(3)
    for (const s of dockerfile.stages) {
      const major = Number(/^node:(\d+)-/.exec(s.from)?.[1])
      expect([22, 24], s.from).toContain(major)
    }
    expect(new Set(dockerfile.stages.map((s) => s.from)).size).toBe(1)
  })

  it("compiles in the build stage and installs production dependencies alone in another", () => {
    const build = stage("build").all("RUN").join("\n")
    expect(build).toMatch(/\bnpm ci\b/)
    expect(build).toMatch(/\bnpm run build\b/)
    const pkg = obj(JSON.parse(read("package.json")), "package.json")
    expect(str(at(pkg, "scripts.build"), "build")).toMatch(
      /^tsc -b [^&]+ && node scripts\/build\.mjs && node packages\/dashboard\/build\.mjs$/
    )
    expect(stage("deps").all("RUN").join("\n")).toMatch(/\bnpm ci --omit=dev\b/)
    // manifests before the install, so the dependency layer survives source changes
    for (const s of [stage("build"), stage("deps")]) {
      const copies = s.instructions.map((i, index) => ({ ...i, index })).filter((i) => i.name === "COPY")
      const install = s.instructions.findIndex((i) => i.name === "RUN" && /\bnpm ci\b/.test(i.args))
      for (const workspace of workspaces) {
        const copy = copies.find((c) => c.args.split(/\s+/).some((a) => a.endsWith(`${workspace}/package.json`)))
        expect(copy, `${s.alias}: COPY ${workspace}/package.json`).toBeDefined()
        expect(copy!.index).toBeLessThan(install)
      }
    }
  })

  it("ships production dependencies and compiled output only, as a non-root user", () => {
    const copies = final.all("COPY")
    expect(copies.length).toBeGreaterThan(0)
    for (const copy of copies) {
      const [from, ...paths] = copy.split(/\s+/)
      // everything comes from the deps (node_modules, manifests) or build (dist, bin) stage
      expect(from, copy).toMatch(/^--from=(deps|build)$/)
      for (const path of paths.slice(0, -1)) {
        expect(path, copy).not.toMatch(/\/(src|test|bench)(\/|$)/)
        if (from === "--from=build") expect(path, copy).toMatch(/\/(dist|bin)$/)
      }
    }
    for (const workspace of workspaces) {
      expect(copies.some((c) => c.includes(`/app/${workspace}/dist`)), `${workspace}/dist`).toBe(true)
    }
    expect(final.all("USER")).toEqual(["node"])
  })

  it("runs node behind tini on the compiled server, with start as the default command", () => {
    expect(imageEntrypoint.slice(0, 2)).toEqual(["/usr/bin/tini", "--"])
    expect(imageEntrypoint.slice(2)).toEqual(["node", "packages/server/dist/main.js"])
    expect(imageCmd).toEqual(["start"])
    expect(final.all("RUN").join("\n")).toMatch(/apt-get install[^\n]*\btini\b/)
    const pkg = obj(JSON.parse(read("package.json")), "package.json")
    // npm start runs the same file, after building it
    expect(str(at(pkg, "scripts.start"), "start")).toMatch(/^npm run build --silent && node --v8-pool-size=0 packages\/server\/dist\/main\.js start$/)
    expect(str(at(pkg, "scripts.test"), "test")).toMatch(/^tsc -b && npm run build --silent && vitest run/)
  })

  it("listens on all interfaces, exposes the API and runner ports, and sets only known env vars", () => {
    expect(Object.keys(imageEnv).length).toBeGreaterThan(0)
    for (const key of Object.keys(imageEnv)) expect(signalEnv.reads(key), `ENV ${key}`).toBe(true)
    expect(imageEnv.HOST).toBe("0.0.0.0")
    expect(imageEnv.SIGNAL_ADMIN_KEY).toBeUndefined()
    expect(Number(imageEnv.PORT)).toBe(GATEWAY_PORT)
    expect(Number(imageEnv.SIGNAL_RUNNER_PORT)).toBe(RUNNER_PORT)
    const exposed = final.all("EXPOSE").flatMap((line) => line.split(/\s+/).map(Number))
    expect(exposed).toEqual(expect.arrayContaining([GATEWAY_PORT, RUNNER_PORT]))
    expect(final.all("HEALTHCHECK").join(" ")).toContain("/health")
  })

  it("documents a docker run that passes the admin key and the database, the same as the README", () => {
    const documented = (text: string) =>
      [...text.matchAll(/docker run (?:[^\\\n]|\\\n)*/g)].map((m) => m[0].replace(/^#\s*/gm, "").replace(/\\\n\s*/g, " ").replace(/\s+/g, " ").trim())
    const fromDockerfile = documented(dockerfile.text.split("\n").filter((l) => l.startsWith("#")).map((l) => l.replace(/^#\s?/, "")).join("\n"))
    const fromReadme = documented(read("README.md"))
    const run = fromDockerfile.find((r) => r.includes("-p 25050:25050"))
    expect(run).toBeDefined()
    expect(run).toContain("-e SIGNAL_ADMIN_KEY=")
    expect(run).toContain("-e DATABASE_URL=postgres://")
    expect(run).toMatch(new RegExp(`${SIGNAL_IMAGE.replace(/[./]/g, "\\$&")}:\\d+\\.\\d+\\.\\d+$`))
    expect(fromReadme).toContain(run)
  })

  it("keeps node_modules, builds, git metadata, tests and local data out of the build context", () => {
    const ignored = read(".dockerignore")
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line !== "" && !line.startsWith("#"))
    expect(ignored).toEqual(expect.arrayContaining(["node_modules", "dist", ".git", ".signal", "test", "bench"]))
    // the build needs these
    for (const needed of ["package.json", "package-lock.json", "packages", "tsconfig.base.json", "scripts"]) {
      expect(ignored).not.toContain(needed)
    }
  })
})

describe("docker-compose.yml", () => {
  const longRunning = Object.keys(services).filter((name) => service(name).restart !== "no")

  it("has the whole stack", () => {
    expect(Object.keys(services)).toEqual(
      expect.arrayContaining([
        "postgres",
        "signal-migrate",
        "signal-gateway",
        "signal-dispatcher",
        "nginx",
        "otel-collector",
        "jaeger",
        "prometheus",
        "grafana"
      ])
    )
    expect(signalServices.sort()).toEqual(["signal-dispatcher", "signal-gateway", "signal-migrate"])
  })

  it("builds the Signal image once and runs every Signal service from it", () => {
    const builders = Object.keys(services).filter((name) => service(name).build !== undefined)
    expect(builders).toEqual(["signal-migrate"])
    const images = new Set(signalServices.map((name) => str(service(name).image, "image")))
    expect(images.size).toBe(1)
    expect([...images][0]).not.toMatch(/:latest$/)
  })

  it("pins every image to a tag: Postgres 18, Jaeger v2", () => {
    for (const [name, raw] of Object.entries(services)) {
      const image = str(obj(raw, name).image, `${name}.image`)
      expect(image.split("/").at(-1), `${name}: ${image}`).toMatch(/^[a-z0-9._-]+:[A-Za-z0-9._-]+$/)
      expect(image.endsWith(":latest"), `${name}: ${image}`).toBe(false)
    }
    expect(str(service("postgres").image, "image")).toMatch(/^postgres:18(\.\d+)*-alpine$/)
    expect(str(service("otel-collector").image, "image")).toMatch(/^otel\/opentelemetry-collector-contrib:/)
    expect(str(service("jaeger").image, "image")).toMatch(/^jaegertracing\/jaeger:2\./)
    // Postgres 18 images keep data under /var/lib/postgresql/18/…: the volume goes one level up
    expect(optArr(service("postgres").volumes, "volumes")).toContain("postgres-data:/var/lib/postgresql")
  })

  it("gives every long-running service a health check and waits on health", () => {
    const healthy = (name: string) => {
      const check = service(name).healthcheck
      if (isObj(check)) return check.disable !== true
      // the Signal image's own HEALTHCHECK
      return signalServices.includes(name)
    }
    // the collector's image has no shell: its health_check extension is probed from a sidecar
    const collector = obj(readYaml("otel-collector.yaml"), "otel-collector.yaml")
    const healthEndpoint = str(at(collector, "extensions.health_check.endpoint"), "health_check")
    expect(optArr(at(collector, "service.extensions"), "extensions")).toContain("health_check")
    expect(containerPorts(service("otel-collector")).has(portOf(healthEndpoint))).toBe(true)
    const probe = optArr(at(service("otel-collector-health"), "healthcheck.test"), "test").join(" ")
    expect(probe).toContain(`http://otel-collector:${portOf(healthEndpoint)}/`)
    for (const name of longRunning) {
      if (name === "otel-collector") continue
      expect(healthy(name), `${name} has a health check`).toBe(true)
    }
    let edges = 0
    for (const [name, raw] of Object.entries(services)) {
      const dependsOn = obj(raw, name).depends_on
      if (dependsOn === undefined) continue
      for (const [target, cond] of Object.entries(obj(dependsOn, `${name}.depends_on`))) {
        expect(Object.keys(services), `${name} depends on ${target}`).toContain(target)
        const condition = str(obj(cond, target).condition, `${name} → ${target} condition`)
        if (target === "signal-migrate") expect(condition).toBe("service_completed_successfully")
        else if (target === "otel-collector") expect(name).toBe("otel-collector-health")
        else {
          expect(condition, `${name} → ${target}`).toBe("service_healthy")
          expect(healthy(target), `${target} has a health check`).toBe(true)
        }
        edges++
      }
    }
    expect(edges).toBeGreaterThan(8)
  })

  it("migrates once, then starts gateways and dispatchers without migrating", () => {
    const migrate = service("signal-migrate")
    expect(migrate.command).toEqual(["migrate"])
    expect(migrate.restart).toBe("no")
    expect(at(migrate, "depends_on.postgres.condition")).toBe("service_healthy")
    for (const name of ["signal-gateway", "signal-dispatcher"]) {
      expect(envOf(service(name)).SIGNAL_MIGRATE).toBe("false")
      expect(at(service(name), "depends_on.signal-migrate.condition")).toBe("service_completed_successfully")
    }
  })

  it("gives Signal services only env vars Signal reads, and wires them to postgres and the collector", () => {
    const postgresEnv = envOf(service("postgres"))
    expect(postgresEnv).toMatchObject({ POSTGRES_USER: "signal", POSTGRES_PASSWORD: "signal", POSTGRES_DB: "signal" })
    const collector = obj(readYaml("otel-collector.yaml"), "otel-collector.yaml")
    const httpReceiver = str(at(collector, "receivers.otlp.protocols.http.endpoint"), "otlp http endpoint")

    for (const name of signalServices) {
      const env = envOf(service(name))
      for (const key of Object.keys(env)) expect(signalEnv.reads(key), `${name}: ${key}`).toBe(true)
      const command = [...optArr(service(name).command, "command"), ...optArr(service(name).entrypoint, "entrypoint")]
        .map((c) => str(c, "command"))
        .join(" ")
      for (const match of command.matchAll(/\b((?:SIGNAL|OTEL)_[A-Z0-9_]+)/g)) {
        expect(signalEnv.reads(match[1]!), `${name} command: ${match[1]}`).toBe(true)
      }
      expect(env.HOST, name).toBe("0.0.0.0")
      expect(Number(env.PORT), name).toBe(GATEWAY_PORT)
      // bound to 0.0.0.0, so the key must be one a gateway accepts
      expect(/^\$\{SIGNAL_ADMIN_KEY:-(.{16,})\}$/.test(env.SIGNAL_ADMIN_KEY ?? ""), name).toBe(true)
      const db = new URL(env.DATABASE_URL!)
      expect(db.protocol).toBe("postgres:")
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
    // gateways with the young generation `signal cluster` gives them; dispatchers with V8's default
    expect(envOf(gateway).NODE_OPTIONS).toBe(GATEWAY_NODE_OPTIONS)
    expect(envOf(dispatcher).NODE_OPTIONS).toBeUndefined()
    expect(containerPorts(gateway).has(GATEWAY_PORT)).toBe(true)
    expect(containerPorts(dispatcher).has(GATEWAY_PORT)).toBe(true)
    expect(containerPorts(dispatcher).has(RUNNER_PORT)).toBe(true)
    expect(Number(envOf(dispatcher).SIGNAL_RUNNER_PORT)).toBe(RUNNER_PORT)
    // replicas can't share fixed host ports: the gateways are reached through nginx
    expect(composePorts(gateway).filter((p) => p.host !== undefined)).toEqual([])
    expect(composePorts(dispatcher).filter((p) => p.host !== undefined)).toEqual([])
    // each dispatcher replica advertises its own address, then runs the image's own command under tini
    const entrypoint = arr(dispatcher.entrypoint, "entrypoint").map((c) => str(c, "entrypoint"))
    expect(entrypoint.slice(0, 2)).toEqual(imageEntrypoint.slice(0, 2))
    const script = entrypoint.at(-1)!
    expect(script).toMatch(/SIGNAL_RUNNER_HOST=/)
    expect(script).toMatch(new RegExp(`exec ${[...imageEntrypoint.slice(2), ...imageCmd].join(" ").replace(/[./]/g, "\\$&")}$`))
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
    expect(containerPorts(service("jaeger")).has(4317)).toBe(true)
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

  it("links to traces in Jaeger (Explore link and trace table), and claims no exemplars", () => {
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
    // Neither /metrics nor the OpenTelemetry JS metrics SDK records exemplars: none are wired or asked for
    const prometheus = datasources.find((d) => d.uid === "prometheus")!
    expect(at(prometheus, "jsonData.exemplarTraceIdDestinations")).toBeUndefined()
    for (const node of walk(dashboard)) if (isObj(node)) expect(node.exemplar).not.toBe(true)
    expect(optArr(service("prometheus").command, "command")).not.toContain("--enable-feature=exemplar-storage")
    // the service name the traces are searched under is the one Signal reports
    for (const name of signalServices) expect(envOf(service(name)).OTEL_SERVICE_NAME).toBe("signal")
  })
})
