/**
 * What ships: the compiled packages with production dependencies only, started the way the image
 * starts them. A temporary copy of the repository gets the manifests, the lockfile and the build
 * (packages/*\/dist), `npm ci --omit=dev` installs into it, and the Dockerfile's own ENTRYPOINT,
 * CMD and ENV run the server against a scratch database.
 */
import { createDatabase } from "@signal/store/TestDatabase"
import { Effect } from "effect"
import { execFile, execFileSync, spawn } from "node:child_process"
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { builtinModules } from "node:module"
import { tmpdir } from "node:os"
import { dirname, join, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import ts from "typescript"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { envOf, execForm, parseDockerfile } from "./support/dockerfile"
import { freePort } from "./support/postgres"
import { type SignalProcess, spawnSignal } from "./support/process"
import { startReceiver } from "./support/receiver"
import { deliveryHelpers } from "./delivery/shared"
import { api, seedTenant } from "./support/http"

const root = resolve(fileURLToPath(new URL(".", import.meta.url)), "..")
const run = promisify(execFile)
const workspaces = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { workspaces: Array<string> }).workspaces
/** The workspaces whose TypeScript `src/` the build emits as modules (the dashboard is bundled by its own step). */
const emitting = workspaces.filter((workspace) => existsSync(join(root, workspace, "src")))

const dockerfile = parseDockerfile(join(root, "Dockerfile"))
const imageEnv = envOf(dockerfile.final)
/** `tini -- node packages/server/dist/main.js` + `start`: node's arguments as the image runs them. */
const imageCommand = (() => {
  const entrypoint = execForm(dockerfile.final.all("ENTRYPOINT").at(-1)!)
  const cmd = execForm(dockerfile.final.all("CMD").at(-1)!)
  const node = entrypoint.indexOf("node")
  expect(entrypoint.slice(0, node)).toEqual(["/usr/bin/tini", "--"])
  return { args: entrypoint.slice(node + 1), cmd }
})()

const filesUnder = (dir: string): Array<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]
  )

const ADMIN_KEY = "production-test-admin-key-0123456789"

describe("the build", () => {
  beforeAll(() => {
    // `npm test` builds first; emitting again is a no-op then, and makes this file runnable alone.
    execFileSync(process.execPath, [join(root, "scripts/build.mjs")], { cwd: root, stdio: "inherit" })
  }, 120_000)

  it("emits one module per source file in every package, importing only files that exist", () => {
    for (const workspace of emitting) {
      const src = join(root, workspace, "src")
      const dist = join(root, workspace, "dist")
      const sources = filesUnder(src).filter((f) => f.endsWith(".ts")).map((f) => relative(src, f).replace(/\.ts$/, ""))
      const modules = filesUnder(dist).filter((f) => f.endsWith(".js")).map((f) => relative(dist, f).replace(/\.js$/, ""))
      expect(modules.sort(), workspace).toEqual(sources.sort())
      for (const file of filesUnder(dist).filter((f) => f.endsWith(".js"))) {
        for (const { fileName } of ts.preProcessFile(readFileSync(file, "utf8"), true, true).importedFiles) {
          if (!fileName.startsWith(".")) continue
          expect(fileName, `${relative(root, file)} imports ${fileName}`).toMatch(/\.js$/)
          expect(existsSync(resolve(dirname(file), fileName)), `${relative(root, file)} imports ${fileName}`).toBe(true)
        }
      }
    }
  })

  // An `@effect/*` package's index evaluates every module of it: `@effect/platform`'s holds a ~16 MB
  // API reference page (Scalar) in every process's heap, served by none.
  it("imports the @effect/* packages module by module, never through their index", () => {
    for (const workspace of emitting) {
      for (const file of filesUnder(join(root, workspace, "dist")).filter((f) => f.endsWith(".js"))) {
        for (const { fileName } of ts.preProcessFile(readFileSync(file, "utf8"), true, true).importedFiles) {
          expect(fileName, `${relative(root, file)} imports ${fileName}`).not.toMatch(/^@effect\/[^/]+$/)
        }
      }
    }
  })

  it("declares every runtime import in the importing package's dependencies", () => {
    const builtins = new Set(builtinModules)
    for (const workspace of emitting) {
      const manifest = JSON.parse(readFileSync(join(root, workspace, "package.json"), "utf8")) as {
        dependencies?: Record<string, string>
      }
      const declared = new Set(Object.keys(manifest.dependencies ?? {}))
      for (const file of filesUnder(join(root, workspace, "dist")).filter((f) => f.endsWith(".js"))) {
        for (const { fileName } of ts.preProcessFile(readFileSync(file, "utf8"), true, true).importedFiles) {
          if (fileName.startsWith(".") || fileName.startsWith("node:") || builtins.has(fileName)) continue
          const name = fileName.startsWith("@") ? fileName.split("/").slice(0, 2).join("/") : fileName.split("/")[0]!
          expect(declared.has(name), `${relative(root, file)} imports ${fileName}, not in ${workspace}/package.json`).toBe(true)
        }
      }
    }
  })
})

describe("a production install (npm ci --omit=dev) started as the image starts it", () => {
  const copy = mkdtempSync(join(tmpdir(), "signal-production-"))
  let databaseUrl = ""

  beforeAll(async () => {
    execFileSync(process.execPath, [join(root, "scripts/build.mjs")], { cwd: root, stdio: "inherit" })
    for (const file of ["package.json", "package-lock.json"]) cpSync(join(root, file), join(copy, file))
    for (const workspace of workspaces) {
      mkdirSync(join(copy, workspace), { recursive: true })
      cpSync(join(root, workspace, "package.json"), join(copy, workspace, "package.json"))
      cpSync(join(root, workspace, "dist"), join(copy, workspace, "dist"), { recursive: true })
      if (existsSync(join(root, workspace, "bin"))) cpSync(join(root, workspace, "bin"), join(copy, workspace, "bin"), { recursive: true })
    }
    await run("npm", ["ci", "--omit=dev", "--no-audit", "--no-fund", "--prefer-offline"], {
      cwd: copy,
      env: { ...process.env, npm_config_loglevel: "error" },
      timeout: 400_000
    })
    databaseUrl = await Effect.runPromise(createDatabase())
  }, 420_000)

  afterAll(() => rmSync(copy, { recursive: true, force: true }))

  const signalEnv = (extra: Record<string, string>) => ({
    ...imageEnv,
    SIGNAL_DATA_DIR: join(copy, "data"),
    ...extra
  })

  it("has no development tooling and no TypeScript sources", () => {
    for (const dev of ["tsx", "typescript", "vitest", "@effect/vitest"]) {
      expect(existsSync(join(copy, "node_modules", dev)), dev).toBe(false)
    }
    expect(filesUnder(join(copy, "packages")).filter((f) => f.endsWith(".ts") && !f.includes("node_modules"))).toEqual([])
  })

  it("migrates, serves /ready, answers the CLI and the client, and stops cleanly on SIGTERM", async () => {
    // The migration step the image documents (`… IMAGE migrate`), then the default command.
    const migrate = await run(process.execPath, [...imageCommand.args, "migrate"], {
      cwd: copy,
      env: { ...process.env, ...signalEnv({ DATABASE_URL: databaseUrl }) },
      timeout: 120_000
    })
    expect(migrate.stdout + migrate.stderr).toContain("migrations applied")

    const port = await freePort()
    const signal = await spawnSignal(
      // Loopback instead of the image's 0.0.0.0: tests listen on 127.0.0.1 only.
      signalEnv({
        HOST: "127.0.0.1",
        PORT: String(port),
        SIGNAL_RUNNER_PORT: String(await freePort()),
        DATABASE_URL: databaseUrl,
        SIGNAL_ADMIN_KEY: ADMIN_KEY,
        SIGNAL_MIGRATE: "false"
      }),
      { args: [...imageCommand.args, ...imageCommand.cmd], cwd: copy, timeoutMs: 90_000 }
    )
    try {
      const ready = await fetch(`${signal.url}/ready`)
      expect(ready.status).toBe(200)
      expect((await fetch(`${signal.url}/health`)).status).toBe(200)
      expect((await fetch(`${signal.url}/v1/tenants/ten_unknown`)).status).toBe(401)

      // The CLI from the same install, on the compiled client.
      const cli = await run(process.execPath, [
        join(copy, "packages/cli/bin/signal.mjs"),
        "tenants",
        "upsert",
        "--endpoint",
        signal.url,
        "--api-key",
        ADMIN_KEY,
        "--identifier",
        "acme",
        "--name",
        "Acme",
        "--json"
      ], { cwd: copy, env: { ...process.env, NO_COLOR: "1", SIGNAL_CONFIG: join(copy, "cli.json") }, timeout: 60_000 })
      const tenant = JSON.parse(cli.stdout) as { id: string }
      expect(tenant).toMatchObject({ identifier: "acme", name: "Acme", id: expect.stringMatching(/^ten_/) })

      // The compiled client, imported by plain node from the same install.
      const script = [
        `const { createSignalClient } = await import(${JSON.stringify(join(copy, "packages/client/dist/index.js"))})`,
        `const client = createSignalClient({ endpoint: ${JSON.stringify(signal.url)}, apiKey: ${JSON.stringify(ADMIN_KEY)} })`,
        `console.log(JSON.stringify(await client.tenant.get({ tenantId: ${JSON.stringify(tenant.id)} })))`
      ].join("\n")
      const client = await run(process.execPath, ["--input-type=module", "-e", script], { cwd: copy, timeout: 60_000 })
      expect(JSON.parse(client.stdout)).toMatchObject({ id: tenant.id, identifier: "acme" })
    } finally {
      signal.kill("SIGTERM")
      expect(await signal.exited).toBe(0)
    }
  }, 180_000)

  it("runs the Kubernetes layout from the build: a gateway and a dispatcher process deliver an event", async () => {
    const database = await Effect.runPromise(createDatabase())
    await run(process.execPath, [...imageCommand.args, "migrate"], {
      cwd: copy,
      env: { ...process.env, ...signalEnv({ DATABASE_URL: database }) },
      timeout: 120_000
    })
    const receiver = await startReceiver()
    const common = { HOST: "127.0.0.1", DATABASE_URL: database, SIGNAL_MIGRATE: "false" }
    const processes: Array<SignalProcess> = []
    try {
      processes.push(
        await spawnSignal(
          signalEnv({
            ...common,
            SIGNAL_ROLE: "dispatcher",
            PORT: String(await freePort()),
            SIGNAL_RUNNER_HOST: "127.0.0.1",
            SIGNAL_RUNNER_PORT: String(await freePort()),
            SIGNAL_ALLOW_PRIVATE_NETWORKS: "127.0.0.0/8"
          }),
          { args: [...imageCommand.args, ...imageCommand.cmd], cwd: copy, timeoutMs: 90_000 }
        )
      )
      const gateway = await spawnSignal(
        signalEnv({ ...common, SIGNAL_ROLE: "gateway", PORT: String(await freePort()) }),
        { args: [...imageCommand.args, ...imageCommand.cmd], cwd: copy, timeoutMs: 90_000 }
      )
      processes.push(gateway)
      const client = api(gateway.url)
      const { createDestination, publish, settled } = deliveryHelpers(client)
      const { tenantId, senderId } = await seedTenant(client)
      await createDestination(tenantId, receiver.url)
      const event = await publish(tenantId, senderId)
      expect((await settled(tenantId, event.id, 60_000)).status).toBe("succeeded")
      expect(receiver.requests.length).toBe(1)
      expect(JSON.parse(receiver.requests[0]!.body)).toMatchObject({ id: event.id })
    } finally {
      for (const signal of processes.reverse()) {
        signal.kill("SIGTERM")
        expect(await signal.exited).toBe(0)
      }
      await receiver.close()
    }
  }, 240_000)

  it("refuses the image's public bind without SIGNAL_ADMIN_KEY, before listening", async () => {
    expect(imageEnv.HOST).toBe("0.0.0.0")
    const port = await freePort()
    const child = spawn(process.execPath, [...imageCommand.args, ...imageCommand.cmd], {
      cwd: copy,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...signalEnv({ PORT: String(port), DATABASE_URL: databaseUrl }) },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let output = ""
    child.stdout.on("data", (chunk) => (output += chunk))
    child.stderr.on("data", (chunk) => (output += chunk))
    const code = await new Promise<number | null>((done) => child.on("exit", (c) => done(c)))
    expect(code).not.toBe(0)
    expect(output).toContain("SIGNAL_ADMIN_KEY is not set and HOST is 0.0.0.0")
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow()
  }, 60_000)
})
