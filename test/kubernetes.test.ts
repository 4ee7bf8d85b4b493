/**
 * The Kubernetes manifests as an operator applies them: every overlay rendered by `kubectl
 * kustomize`, every object validated against the Kubernetes JSON schemas (those compiled into the
 * `kubernetes-models` package), and cross-checked with what Signal's code reads and serves.
 */
import { OpenApi } from "@effect/platform"
import { SignalApi } from "@signal/domain/SignalApi"
import { shardingConfig } from "@signal/server/Cluster"
import { GATEWAY_NODE_OPTIONS } from "@signal/server/HeapGrowth"
import { Duration } from "effect"
import { execFileSync, spawnSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { parseAllDocuments } from "yaml"
import { unknownFields } from "./support/kubernetesFields"
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

const k8s = join(root, "infra/k8s")
const overlays = readdirSync(join(k8s, "overlays"))
const serverVersion = (JSON.parse(readFileSync(join(root, "packages/server/package.json"), "utf8")) as { version: string }).version

/** A copy of infra/k8s where each overlay's signal.env is made from its documented example. */
const workdir = (withSecrets: boolean) => {
  const dir = mkdtempSync(join(tmpdir(), "signal-k8s-"))
  cpSync(k8s, dir, { recursive: true })
  for (const overlay of overlays) {
    const example = readFileSync(join(dir, "overlays", overlay, "signal.env.example"), "utf8")
    const filled = example.replace(/^SIGNAL_ADMIN_KEY=.*$/m, `SIGNAL_ADMIN_KEY=${randomBytes(24).toString("hex")}`)
    if (withSecrets) writeFileSync(join(dir, "overlays", overlay, "signal.env"), filled)
  }
  return dir
}

const parseDocs = (text: string) =>
  parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(doc.errors.map((e) => e.message).join("\n"))
      return doc.toJS() as unknown
    })
    .filter((doc) => doc !== null && doc !== undefined)
    .map((doc) => obj(doc, "manifest"))

const kustomize = (dir: string) => execFileSync("kubectl", ["kustomize", dir], { encoding: "utf8", timeout: 60_000 })

const configured = workdir(true)
const rendered = Object.fromEntries(
  ["base", ...overlays.map((o) => `overlays/${o}`)].map((name) => [name, parseDocs(kustomize(join(configured, name)))])
)

const kind = (docs: Array<Obj>, k: string) => docs.filter((d) => d.kind === k)
const named = (docs: Array<Obj>, k: string, name: string) => {
  const found = docs.find((d) => d.kind === k && at(d, "metadata.name") === name)
  if (!found) throw new Error(`no ${k} ${name}`)
  return found
}
const podSpec = (d: Obj) => obj(at(d, "spec.template.spec"), "pod spec")
const containersOf = (d: Obj, field: "containers" | "initContainers" = "containers") =>
  optArr(podSpec(d)[field], field).map((c) => obj(c, "container"))
const envOf = (c: Obj) => optArr(c.env, "env").map((e) => obj(e, "env"))
const containerPort = (c: Obj, port: unknown) => {
  if (typeof port === "number") return port
  const found = optArr(c.ports, "ports").map((p) => obj(p, "port")).find((p) => p.name === port)
  if (!found) throw new Error(`no container port named ${String(port)}`)
  return Number(found.containerPort)
}
const matches = (selector: Obj, labels: Obj) =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v)
const templateLabels = (d: Obj) => obj(at(d, "spec.template.metadata.labels"), "labels")

/** kubernetes-models' class for an object, e.g. apps/v1 Deployment → kubernetes-models/apps/v1/Deployment. */
const modelOf = async (doc: Obj) => {
  const module = (await import(/* @vite-ignore */ `kubernetes-models/${str(doc.apiVersion, "apiVersion")}/${str(doc.kind, "kind")}`)) as Record<
    string,
    new(data: unknown) => { validate: () => void }
  >
  const Model = module[str(doc.kind, "kind")]
  if (Model === undefined) throw new Error(`no schema for ${String(doc.apiVersion)} ${String(doc.kind)}`)
  // kustomize folds long base64 values over lines; the API server's decoder skips the line breaks
  const data = doc.kind === "Secret" && isObj(doc.data)
    ? Object.fromEntries(Object.entries(doc.data).map(([k, v]) => [k, str(v, k).replace(/\s+/g, "")]))
    : doc.data
  return new Model(data === undefined ? doc : { ...doc, data })
}

describe("kubernetes overlays (kubectl kustomize)", () => {
  it("has a base and the dev and production overlays", () => {
    expect(overlays.sort()).toEqual(["dev", "production"])
    for (const overlay of overlays) {
      const kustomization = readFileSync(join(k8s, "overlays", overlay, "kustomization.yaml"), "utf8")
      expect(kustomization).toContain("../../base")
    }
  })

  it("validates every rendered object against the Kubernetes schemas", async () => {
    let validated = 0
    for (const [name, docs] of Object.entries(rendered)) {
      expect(docs.length, name).toBeGreaterThan(8)
      for (const doc of docs) {
        const model = await modelOf(doc)
        expect(() => model.validate(), `${name}: ${String(doc.kind)} ${String(at(doc, "metadata.name"))}`).not.toThrow()
        validated++
      }
    }
    expect(validated).toBeGreaterThan(30)
    // the validator rejects what the API server would
    const broken = structuredClone(named(rendered["overlays/production"]!, "Deployment", "signal-gateway"))
    containersOf(broken)[0]!.ports = [{ name: "http", containerPort: "25050" }]
    const model = await modelOf(broken)
    expect(() => model.validate()).toThrow(/containerPort must be integer/)
  })

  it("uses only fields the Kubernetes API defines (no misspelt field dropped silently)", () => {
    for (const [name, docs] of Object.entries(rendered)) expect(unknownFields(docs), name).toEqual([])
    // the check itself
    const typo = structuredClone(named(rendered["overlays/production"]!, "Deployment", "signal-dispatcher"))
    const container = containersOf(typo)[0]!
    container.readinesProbe = container.readinessProbe
    obj(at(typo, "spec.template.metadata"), "metadata").labels = { any: "label" }
    expect(unknownFields([typo])).toEqual(["Deployment/signal-dispatcher.spec.template.spec.containers[0].readinesProbe"])
  }, 60_000)

  it("does not build an overlay without its secrets file, and the base carries no Secret", () => {
    const unconfigured = workdir(false)
    for (const overlay of overlays) {
      const result = spawnSync("kubectl", ["kustomize", join(unconfigured, "overlays", overlay)], { encoding: "utf8", timeout: 60_000 })
      expect(result.status, overlay).not.toBe(0)
      expect(result.stderr, overlay).toContain("signal.env")
    }
    expect(kind(rendered.base!, "Secret")).toEqual([])
    // the secrets file is never committed
    expect(readFileSync(join(root, ".gitignore"), "utf8")).toMatch(/^infra\/k8s\/overlays\/\*\/signal\.env$/m)
    for (const overlay of overlays) {
      expect(existsSync(join(k8s, "overlays", overlay, "signal.env")) && isTracked(`infra/k8s/overlays/${overlay}/signal.env`)).toBe(false)
    }
  })

  for (const overlay of overlays) {
    describe(`overlays/${overlay}`, () => {
      const docs = rendered[`overlays/${overlay}`]!
      const deployment = (component: string) => named(docs, "Deployment", `signal-${component}`)
      const components = ["gateway", "dispatcher"]

      it("puts everything in the signal namespace, with one generated Secret and ConfigMap", () => {
        for (const doc of docs) {
          if (doc.kind === "Namespace") expect(at(doc, "metadata.name")).toBe("signal")
          else expect(at(doc, "metadata.namespace"), `${String(doc.kind)} ${String(at(doc, "metadata.name"))}`).toBe("signal")
        }
        const [secret, ...moreSecrets] = kind(docs, "Secret")
        const [configMap, ...moreMaps] = kind(docs, "ConfigMap")
        expect(moreSecrets).toEqual([])
        expect(moreMaps).toEqual([])
        // generated by kustomize (name hash), so a change rolls the pods
        expect(str(at(secret, "metadata.name"), "secret")).toMatch(/^signal-secrets-[a-z0-9]{10}$/)
        expect(str(at(configMap, "metadata.name"), "configmap")).toMatch(/^signal-config-[a-z0-9]{10}$/)
        const secretData = obj(secret!.data, "secret data")
        expect(Object.keys(secretData).sort()).toEqual(["DATABASE_URL", "SIGNAL_ADMIN_KEY"])
        const decoded = (key: string) => Buffer.from(str(secretData[key], key).replace(/\s+/g, ""), "base64").toString("utf8")
        expect(decoded("DATABASE_URL")).toMatch(/^postgres(ql)?:\/\//)
        expect(decoded("SIGNAL_ADMIN_KEY").length).toBeGreaterThanOrEqual(16)

        const data = obj(configMap!.data, "configmap data")
        expect(data).toMatchObject({ HOST: "0.0.0.0", PORT: String(GATEWAY_PORT), SIGNAL_RUNNER_PORT: String(RUNNER_PORT) })
        for (const key of [...Object.keys(data), ...Object.keys(secretData)]) expect(signalEnv.reads(key), key).toBe(true)

        for (const component of components) {
          for (const c of [...containersOf(deployment(component)), ...containersOf(deployment(component), "initContainers")]) {
            const envFrom = arr(c.envFrom, "envFrom").map((e) => obj(e, "envFrom"))
            expect(envFrom.filter((e) => e.configMapRef).map((e) => at(e, "configMapRef.name"))).toEqual([at(configMap, "metadata.name")])
            expect(envFrom.filter((e) => e.secretRef).map((e) => at(e, "secretRef.name"))).toEqual([at(secret, "metadata.name")])
            for (const e of envOf(c)) expect(signalEnv.reads(str(e.name, "env name")), String(e.name)).toBe(true)
          }
        }
      })

      it("pins one image tag for every container, never latest", () => {
        const images = new Set<string>()
        for (const component of components) {
          for (const c of [...containersOf(deployment(component)), ...containersOf(deployment(component), "initContainers")]) {
            images.add(str(c.image, "image"))
          }
        }
        expect(images.size).toBe(1)
        const [image] = [...images]
        // a release tag (today's version) or a digest; never a moving tag
        const pinned = image === `${SIGNAL_IMAGE}:${serverVersion}` || new RegExp(`^${SIGNAL_IMAGE}@sha256:[0-9a-f]{64}$`).test(image!)
        expect(pinned, image).toBe(true)
      })

      it("migrates in an init container and starts the server without migrating", () => {
        for (const component of components) {
          const [migrate, ...others] = containersOf(deployment(component), "initContainers")
          expect(others).toEqual([])
          expect(migrate!.args).toEqual(["migrate"])
          const c = containersOf(deployment(component))[0]!
          expect(envOf(c).find((e) => e.name === "SIGNAL_ROLE")?.value).toBe(component)
          expect(envOf(c).find((e) => e.name === "SIGNAL_MIGRATE")?.value).toBe("false")
          expect(envOf(c).find((e) => e.name === "NODE_OPTIONS")?.value)
            .toBe(component === "gateway" ? GATEWAY_NODE_OPTIONS : undefined)
        }
      })

      it("probes /health and /ready on the HTTP port, with resources, a non-root read-only container and no token", () => {
        const apiPaths = Object.keys(OpenApi.fromApi(SignalApi).paths)
        expect(apiPaths).toEqual(expect.arrayContaining(["/health", "/ready"]))
        const sa = named(docs, "ServiceAccount", "signal")
        expect(sa.automountServiceAccountToken).toBe(false)
        for (const component of components) {
          const d = deployment(component)
          const [c, ...more] = containersOf(d)
          expect(more).toEqual([])
          expect(at(c, "livenessProbe.httpGet.path")).toBe("/health")
          expect(at(c, "readinessProbe.httpGet.path")).toBe("/ready")
          expect(at(c, "startupProbe.httpGet.path")).toBe("/health")
          for (const probe of ["livenessProbe", "readinessProbe", "startupProbe"]) {
            expect(containerPort(c!, at(c, `${probe}.httpGet.port`)), `${component} ${probe}`).toBe(GATEWAY_PORT)
          }
          for (const container of [c!, ...containersOf(d, "initContainers")]) {
            expect(at(container, "resources.requests.cpu")).toBeDefined()
            expect(at(container, "resources.requests.memory")).toBeDefined()
            expect(at(container, "resources.limits.memory")).toBeDefined()
            expect(at(container, "securityContext.allowPrivilegeEscalation")).toBe(false)
            expect(at(container, "securityContext.readOnlyRootFilesystem")).toBe(true)
          }
          expect(at(d, "spec.template.spec.securityContext.runAsNonRoot")).toBe(true)
          expect(podSpec(d).serviceAccountName).toBe("signal")
          expect(podSpec(d).automountServiceAccountToken).toBe(false)
          const annotations = obj(at(d, "spec.template.metadata.annotations"), "annotations")
          expect(annotations["prometheus.io/port"]).toBe(String(GATEWAY_PORT))
          expect(annotations["prometheus.io/path"]).toBe("/metrics")
          expect(matches(obj(at(d, "spec.selector.matchLabels"), "selector"), templateLabels(d))).toBe(true)
        }
      })

      it("drains within the grace period: gateways after the preStop pause, dispatchers after the entities stop", () => {
        const preStopSeconds = (d: Obj) => {
          const command = arr(at(containersOf(d)[0], "lifecycle.preStop.exec.command"), "preStop")
          expect(command[0]).toBe("sleep")
          return Number(command[1])
        }
        const gateway = deployment("gateway")
        const dispatcher = deployment("dispatcher")
        // the endpoints controller and the Ingress need a few seconds to stop sending
        expect(preStopSeconds(gateway)).toBeGreaterThanOrEqual(5)
        expect(Number(podSpec(gateway).terminationGracePeriodSeconds)).toBeGreaterThanOrEqual(preStopSeconds(gateway) + 15)
        // entities get entityTerminationTimeout to finish; outcomes and shard release after that
        const entityStop = Duration.toSeconds(shardingConfig.entityTerminationTimeout)
        const grace = Number(podSpec(dispatcher).terminationGracePeriodSeconds)
        expect(grace).toBeGreaterThanOrEqual(preStopSeconds(dispatcher) + entityStop + 5)
        // but not so long that a stuck runner holds its shards for minutes
        expect(grace).toBeLessThanOrEqual(60)
      })

      it("lets each dispatcher advertise its pod IP on the runner port", () => {
        const c = containersOf(deployment("dispatcher"))[0]!
        const runnerHost = envOf(c).find((e) => e.name === "SIGNAL_RUNNER_HOST")
        expect(at(runnerHost, "valueFrom.fieldRef.fieldPath")).toBe("status.podIP")
        expect(containerPort(c, "runner")).toBe(RUNNER_PORT)
        expect(optArr(containersOf(deployment("gateway"))[0]!.ports, "ports").map((p) => obj(p, "port").name)).toEqual(["http"])
      })

      it("autoscales both roles with an HPA and a disruption budget, and leaves the count to the HPA", () => {
        for (const component of components) {
          const d = deployment(component)
          expect(at(d, "spec.replicas"), `${component} has replicas while an HPA owns them`).toBeUndefined()
          const hpas = kind(docs, "HorizontalPodAutoscaler").filter((h) => at(h, "spec.scaleTargetRef.name") === at(d, "metadata.name"))
          expect(hpas.length, component).toBe(1)
          const hpa = hpas[0]!
          expect(at(hpa, "spec.scaleTargetRef")).toMatchObject({ apiVersion: "apps/v1", kind: "Deployment" })
          const min = Number(at(hpa, "spec.minReplicas"))
          expect(Number(at(hpa, "spec.maxReplicas"))).toBeGreaterThan(min)
          const metrics = arr(at(hpa, "spec.metrics"), "metrics").map((m) => obj(m, "metric"))
          expect(metrics.some((m) => m.type === "Resource" && at(m, "resource.name") === "cpu")).toBe(true)
          expect(at(containersOf(d)[0], "resources.requests.cpu")).toBeDefined()

          const pdbs = kind(docs, "PodDisruptionBudget").filter((p) => matches(obj(at(p, "spec.selector.matchLabels"), "pdb"), templateLabels(d)))
          expect(pdbs.length, component).toBe(1)
          expect(at(pdbs[0], "spec.maxUnavailable")).toBe(1)
        }
        // every HPA and PDB points at something that exists
        for (const hpa of kind(docs, "HorizontalPodAutoscaler")) named(docs, "Deployment", str(at(hpa, "spec.scaleTargetRef.name"), "target"))
        for (const pdb of kind(docs, "PodDisruptionBudget")) {
          const selector = obj(at(pdb, "spec.selector.matchLabels"), "pdb")
          expect(kind(docs, "Deployment").filter((d) => matches(selector, templateLabels(d))).length).toBe(1)
        }
        if (overlay === "production") {
          const hpa = named(docs, "HorizontalPodAutoscaler", "signal-dispatcher")
          const external = arr(at(hpa, "spec.metrics"), "metrics").map((m) => obj(m, "metric")).find((m) => m.type === "External")
          // a metric Signal exports
          expect(at(external, "external.metric.name")).toBe("signal_intents_pending")
          expect(readFileSync(join(root, "packages/server/src/Metrics.ts"), "utf8")).toContain("\"signal_intents_pending\"")
        }
      })

      it("exposes gateways through a Service and runners through a headless Service, on the container ports", () => {
        const serviceFor = (component: string) => {
          const svc = kind(docs, "Service").filter((s) => matches(obj(at(s, "spec.selector"), "selector"), templateLabels(deployment(component))))
          expect(svc.length, component).toBe(1)
          return svc[0]!
        }
        const ports = (svc: Obj) => arr(at(svc, "spec.ports"), "ports").map((p) => obj(p, "port"))
        const gatewaySvc = serviceFor("gateway")
        expect(ports(gatewaySvc).map((p) => p.port)).toEqual([80])
        expect(containerPort(containersOf(deployment("gateway"))[0]!, ports(gatewaySvc)[0]!.targetPort)).toBe(GATEWAY_PORT)
        const dispatcherSvc = serviceFor("dispatcher")
        expect(at(dispatcherSvc, "spec.clusterIP")).toBe("None")
        const runner = ports(dispatcherSvc).find((p) => p.name === "runner")
        expect(containerPort(containersOf(deployment("dispatcher"))[0]!, runner!.targetPort)).toBe(RUNNER_PORT)
      })

      it("admits the runner port only from Signal pods", () => {
        const [policy, ...more] = kind(docs, "NetworkPolicy")
        expect(more).toEqual([])
        const selected = obj(at(policy, "spec.podSelector.matchLabels"), "podSelector")
        for (const component of components) expect(matches(selected, templateLabels(deployment(component)))).toBe(true)
        expect(at(policy, "spec.policyTypes")).toEqual(["Ingress"])
        const rules = arr(at(policy, "spec.ingress"), "ingress").map((r) => obj(r, "rule"))
        const portsOf = (rule: Obj) => arr(rule.ports, "ports").map((p) => containerPort(containersOf(deployment("dispatcher"))[0]!, obj(p, "port").port))
        const runnerRules = rules.filter((r) => portsOf(r).includes(RUNNER_PORT))
        expect(runnerRules.length).toBe(1)
        const from = arr(runnerRules[0]!.from, "from").map((f) => obj(f, "peer"))
        expect(from.length).toBeGreaterThan(0)
        for (const peer of from) {
          expect(Object.keys(peer)).toEqual(["podSelector"])
          const peerSelector = obj(at(peer, "podSelector.matchLabels"), "peer selector")
          // exactly the Signal pods: both roles, nothing else in the overlay
          for (const component of components) expect(matches(peerSelector, templateLabels(deployment(component)))).toBe(true)
          for (const d of kind(docs, "Deployment")) expect(matches(peerSelector, templateLabels(d))).toBe(str(at(d, "metadata.name"), "n").startsWith("signal-"))
        }
        // every rule names its ports: nothing else is open
        for (const rule of rules) expect(portsOf(rule).length).toBeGreaterThan(0)
        for (const rule of rules.filter((r) => !runnerRules.includes(r))) expect(portsOf(rule)).toEqual([GATEWAY_PORT])
      })

      it("routes only the API through the Ingress, over TLS", () => {
        const ingresses = kind(docs, "Ingress")
        if (overlay === "dev") {
          expect(ingresses).toEqual([])
          return
        }
        expect(ingresses.length).toBe(1)
        const ingress = ingresses[0]!
        const tls = arr(at(ingress, "spec.tls"), "tls").map((t) => obj(t, "tls"))
        const tlsHosts = tls.flatMap((t) => arr(t.hosts, "hosts"))
        for (const t of tls) expect(str(t.secretName, "secretName").length).toBeGreaterThan(0)
        const paths: Array<string> = []
        for (const rule of arr(at(ingress, "spec.rules"), "rules").map((r) => obj(r, "rule"))) {
          expect(tlsHosts).toContain(rule.host)
          for (const path of arr(at(rule, "http.paths"), "paths").map((p) => obj(p, "path"))) {
            expect(path.pathType).toBe("Prefix")
            paths.push(str(path.path, "path"))
            const backend = named(docs, "Service", str(at(path, "backend.service.name"), "backend"))
            expect(ports(backend).some((p) => p.name === at(path, "backend.service.port.name"))).toBe(true)
          }
        }
        const routed = (p: string) => paths.some((prefix) => p === prefix || p.startsWith(`${prefix.replace(/\/$/, "")}/`))
        for (const internal of ["/metrics", "/docs", "/openapi.json", "/health", "/ready", "/cluster"]) {
          expect(routed(internal), internal).toBe(false)
        }
        // …while every API route is reachable
        const api = Object.keys(OpenApi.fromApi(SignalApi).paths).filter((p) => p.startsWith("/v1/"))
        expect(api.length).toBeGreaterThan(10)
        for (const p of api) expect(routed(p), p).toBe(true)
      })
    })
  }
})

const ports = (svc: Obj) => arr(at(svc, "spec.ports"), "ports").map((p) => obj(p, "port"))

const isTracked = (path: string) =>
  spawnSync("git", ["ls-files", "--error-unmatch", path], { cwd: root, encoding: "utf8" }).status === 0

describe("kubernetes docs", () => {
  it("the README's operations section names the overlays, the secrets file and the queue-depth metric", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8")
    for (const overlay of overlays) expect(readme).toContain(`kubectl apply -k infra/k8s/overlays/${overlay}`)
    expect(readme).toContain("signal.env.example")
    expect(readme).toContain("signal_intents_pending")
    // no leftover single-kustomization instructions
    expect(readme).not.toMatch(/kubectl apply -k infra\/k8s(?![/\w])/)
    for (const node of walk(rendered)) if (isObj(node) && typeof node.image === "string") expect(node.image).not.toMatch(/:latest$/)
  })
})
