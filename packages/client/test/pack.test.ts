/**
 * @signal/client as people install it: built (packages/client/build.mjs), packed with `npm pack`,
 * installed from the tarball into a project outside this repository, and the README's quick start
 * run there, as it is, against a live server.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { hasTestServer, type LiveServer, startTestServer, stopServer } from "./liveServer"
import { runNode } from "./nodeProcess"

const clientDir = fileURLToPath(new URL("..", import.meta.url))
const root = fileURLToPath(new URL("../../..", import.meta.url))
const npm = (args: ReadonlyArray<string>, cwd: string) =>
  execFileSync("npm", [...args], { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 240_000 })

/** The README's quick start, exactly as written there. */
const quickStart = (): string => {
  const readme = readFileSync(join(clientDir, "README.md"), "utf8")
  const block = /<!-- example: quick start[^>]*-->\s*```js\n([\s\S]*?)```/.exec(readme)
  if (block === null) throw new Error("README.md has no quick start block")
  return block[1]!
}

describe.skipIf(!hasTestServer)("the packed @signal/client", () => {
  let server: LiveServer
  let project = ""
  let installed = ""

  beforeAll(async () => {
    server = await startTestServer()
    execFileSync(process.execPath, [join(clientDir, "build.mjs")], { stdio: "inherit" })
    project = mkdtempSync(join(tmpdir(), "signal-client-user-"))
    const tarball = npm(["pack", join(clientDir, "pkg"), "--pack-destination", project, "--silent"], root).trim().split("\n").at(-1)!
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "signal-client-user", private: true, type: "module" }))
    npm(["install", join(project, tarball), "--prefer-offline", "--no-audit", "--no-fund", "--no-package-lock"], project)
    installed = join(project, "node_modules", "@signal", "client")
  }, 300_000)


  afterAll(async () => {
    await stopServer(server)
    if (project !== "") rmSync(project, { recursive: true, force: true })
  })

  it("ships compiled modules with declarations and no private or server dependency", () => {
    const manifest = JSON.parse(readFileSync(join(installed, "package.json"), "utf8"))
    expect(manifest.private).toBeUndefined()
    expect(Object.keys(manifest.dependencies).sort()).toEqual(["@effect/platform", "effect"])
    expect(manifest.exports["."].default).toEqual({ types: "./dist/index.d.ts", default: "./dist/index.js" })
    const files = readdirSync(join(installed, "dist"))
    expect(files).toEqual(expect.arrayContaining(["index.js", "index.d.ts", "node.js", "node.d.ts", "verifyWebhook.js"]))
    expect(files.some((file) => file.endsWith(".ts") && !file.endsWith(".d.ts"))).toBe(false)
    // nothing of this repository's other packages is referenced
    const installedPackages = readdirSync(join(project, "node_modules", "@signal"))
    expect(installedPackages).toEqual(["client"])
  })

  it("runs the README's quick start against a live server", { timeout: 150_000 }, async () => {
    writeFileSync(join(project, "quick-start.mjs"), quickStart())
    const result = await runNode(["quick-start.mjs"], {
      cwd: project,
      env: { PATH: process.env.PATH, SIGNAL_ENDPOINT: server.url },
      timeoutMs: 120_000
    })
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/^Signing secret: whsec_\S+$/m)
    expect(result.stdout).toMatch(/^Event: evt_\w+ pending to 1 destination\(s\)$/m)
    expect(result.stdout).toMatch(/^evt_\w+: payment\.created - \w+$/m)
    expect(result.stdout).toMatch(/^400 invalid_request retry\.maxAttempts must be between 1 and 100 \(got 500\)$/m)
  })

  it("type-checks the quick start against the shipped declarations", { timeout: 150_000 }, async () => {
    writeFileSync(join(project, "quick-start.ts"), quickStart())
    writeFileSync(
      join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: ["node"],
          typeRoots: [join(root, "node_modules", "@types")]
        },
        files: ["quick-start.ts"]
      })
    )
    const tsc = await runNode([join(root, "node_modules", "typescript", "bin", "tsc"), "-p", project], {
      cwd: project,
      timeoutMs: 120_000
    })
    expect(tsc.code, tsc.stdout + tsc.stderr).toBe(0)
  })

  it("runs without Node's modules through the portable entry (what browsers get)", async () => {
    const portable = await import(pathToFileURL(join(installed, "dist", "index.js")).href)
    expect(portable.verifyWebhook).toBeUndefined()
    const client = portable.createSignalClient({ endpoint: server.url })
    const health = await client.health()
    expect(health).toEqual({ status: "ok" })
  })
})
