#!/usr/bin/env node
// Bundles the `signal` command line into one ES module per entry, so that it starts fast: Node
// parses one minified file instead of loading several hundred modules of effect, @effect/platform
// and @effect/cli one by one (about 0.3 s against about 1 s for `signal --help`).
//
//   packages/cli/dist/signal.mjs     the client-only command line (packages/cli/src/main.ts)
//   packages/server/dist/signal.mjs  the same plus `start`, `migrate` and `cluster`, whose work
//                                    (`ServerRun`) stays out of the bundle: those commands run the
//                                    unbundled build in packages/server/dist (see src/signal.ts)
//
// `npm run build` runs this after emitting dist/ (scripts/build.mjs). A bundle is rebuilt only when
// a source file is newer than it. Each is written to a temporary file and renamed, so a process
// starting meanwhile never reads half a file.
import { existsSync, readdirSync, renameSync, statSync, writeFileSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..")

export const bundles = [
  { entry: "packages/cli/src/main.ts", out: "packages/cli/dist/signal.mjs" },
  { entry: "packages/server/src/signal.ts", out: "packages/server/dist/signal.mjs" }
]

const newest = (dir) =>
  readdirSync(dir, { withFileTypes: true }).reduce((latest, entry) => {
    const path = join(dir, entry.name)
    return Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs)
  }, 0)

/** What a bundle is made of: every package's sources, the lock file and this script. */
const inputsChanged = () =>
  Math.max(
    ...readdirSync(join(root, "packages")).map((name) =>
      existsSync(join(root, "packages", name, "src")) ? newest(join(root, "packages", name, "src")) : 0
    ),
    statSync(join(root, "package-lock.json")).mtimeMs,
    statSync(fileURLToPath(import.meta.url)).mtimeMs
  )

// The server's work is imported at run time from the unbundled build next to the bundle.
const serverRunOutside = {
  name: "server-run-outside",
  setup(build) {
    build.onResolve({ filter: /^\.\/ServerRun$/ }, () => ({ path: "./ServerRun.js", external: true }))
  }
}

export const bundle = async ({ force = false } = {}) => {
  const changed = inputsChanged()
  const stale = bundles.filter(({ out }) => force || !existsSync(join(root, out)) || statSync(join(root, out)).mtimeMs < changed)
  if (stale.length === 0) return 0
  const esbuild = await import("esbuild")
  for (const { entry, out } of stale) {
    const result = await esbuild.build({
      entryPoints: [join(root, entry)],
      bundle: true,
      write: false,
      platform: "node",
      format: "esm",
      target: "node20",
      minify: true,
      legalComments: "none",
      logLevel: "warning",
      plugins: [serverRunOutside],
      // for the few CommonJS dependencies that call require()
      banner: { js: "import { createRequire as __signalRequire } from 'node:module'; const require = __signalRequire(import.meta.url);" }
    })
    const target = join(root, out)
    const temporary = `${target}.${process.pid}.tmp`
    writeFileSync(temporary, result.outputFiles[0].contents)
    renameSync(temporary, target)
  }
  return stale.length
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const written = await bundle({ force: process.argv.includes("--force") })
  if (written > 0) console.log(`signal build: bundled ${written} command line(s)`)
}
