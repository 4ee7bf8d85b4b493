#!/usr/bin/env node
// Builds @signal/client as the package people install: packages/client/pkg/ with compiled ES
// modules, their .d.ts, a package.json with an `exports` map, and the README. Nothing in it is
// private: the domain modules the client needs (the `SignalApi` contract and its schemas) are
// compiled into pkg/dist/domain/ and imported from there, so its only dependencies are effect and
// @effect/platform.
//
//   node packages/client/build.mjs && npm pack packages/client/pkg     (npm publish the same way)
//
// The main entry runs wherever `fetch` does (Node 20+, Deno, Bun, browsers): the build fails if
// anything it reaches imports a `node:` module. `@signal/client/verifyWebhook` uses node:crypto
// (Node, Deno and Bun all provide it).
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { dirname, join, relative, resolve, sep } from "node:path"
import { fileURLToPath } from "node:url"
import ts from "typescript"

const here = dirname(fileURLToPath(import.meta.url))
const root = resolve(here, "../..")
const domainSrc = join(root, "packages/domain/src")
const clientSrc = join(here, "src")
const stage = join(here, "build/pkg-src")
const out = join(here, "pkg")

/**
 * Published entry points: subpath → source file under src/, per export condition. Server runtimes
 * (the `node` condition: Node, Deno, Bun) get webhook verification in the main entry too.
 */
const entries = {
  ".": { node: "node.ts", default: "index.ts" },
  "./verifyWebhook": { node: "verifyWebhook.ts" }
}
/** Entries that must run without Node's modules. */
const portable = [entries["."].default]

const specifiers = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(["'])([^"']+)\2/g

/** Where a source file's import points: a file in the closure, or a package (left as it is). */
const target = (fromFile, specifier) => {
  if (specifier.startsWith(".")) return `${resolve(dirname(fromFile), specifier)}.ts`
  const domain = /^@signal\/domain\/(.+)$/.exec(specifier)
  if (domain) return join(domainSrc, `${domain[1]}.ts`)
  if (specifier.startsWith("@signal/")) throw new Error(`${relative(root, fromFile)}: ${specifier} cannot ship with the client`)
  return undefined
}

/** Every source file the entries reach, with the packages each imports. */
const closure = new Map()
const visit = (file) => {
  if (closure.has(file)) return
  if (!existsSync(file)) throw new Error(`missing source ${relative(root, file)}`)
  const text = readFileSync(file, "utf8")
  const imports = [...text.matchAll(specifiers)].map((m) => m[3])
  closure.set(file, { text, imports })
  for (const specifier of imports) {
    const next = target(file, specifier)
    if (next !== undefined) visit(next)
  }
}
for (const conditions of Object.values(entries)) for (const file of Object.values(conditions)) visit(join(clientSrc, file))

/** Staged path: client files at the root, domain files under domain/. */
const staged = (file) =>
  file.startsWith(clientSrc) ? join(stage, relative(clientSrc, file)) : join(stage, "domain", relative(domainSrc, file))

rmSync(stage, { recursive: true, force: true })
rmSync(out, { recursive: true, force: true })
for (const [file, { text }] of closure) {
  const to = staged(file)
  const rewritten = text.replace(specifiers, (whole, lead, quote, specifier) => {
    const next = target(file, specifier)
    if (next === undefined) return whole
    let spec = relative(dirname(to), staged(next)).split(sep).join("/").replace(/\.ts$/, ".js")
    if (!spec.startsWith(".")) spec = `./${spec}`
    return `${lead}${quote}${spec}${quote}`
  })
  mkdirSync(dirname(to), { recursive: true })
  writeFileSync(to, rewritten)
}

// Node's types for verifyWebhook's node:crypto; the portable entries are checked on the output.
const options = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ES2022,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
  types: ["node"],
  typeRoots: [join(root, "node_modules/@types")],
  strict: true,
  skipLibCheck: true,
  declaration: true,
  rootDir: stage,
  outDir: join(out, "dist"),
  verbatimModuleSyntax: true,
  isolatedModules: true
}
const program = ts.createProgram([...closure.keys()].map(staged), options)
const emitted = program.emit()
const diagnostics = [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics]
if (diagnostics.length > 0) {
  throw new Error(ts.formatDiagnostics(diagnostics, {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: () => root,
    getNewLine: () => "\n"
  }))
}

// The portable entries must not reach node:* (browsers have none of it).
for (const entry of portable) {
  const seen = new Set()
  const walk = (file) => {
    if (seen.has(file)) return
    seen.add(file)
    const text = readFileSync(file, "utf8")
    for (const [, , , specifier] of text.matchAll(specifiers)) {
      if (specifier.startsWith("node:")) throw new Error(`${entry} reaches ${specifier} in ${relative(out, file)}`)
      if (specifier.startsWith(".")) walk(resolve(dirname(file), specifier))
    }
  }
  walk(join(out, "dist", entry.replace(/\.ts$/, ".js")))
}

const workspace = JSON.parse(readFileSync(join(here, "package.json"), "utf8"))
const exportsMap = Object.fromEntries(
  Object.entries(entries).map(([subpath, conditions]) => [
    subpath,
    Object.fromEntries(Object.entries(conditions).map(([condition, file]) => {
      const base = `./dist/${file.replace(/\.ts$/, "")}`
      return [condition, { types: `${base}.d.ts`, default: `${base}.js` }]
    }))
  ])
)
const manifest = {
  name: workspace.name,
  version: workspace.version,
  description: workspace.description,
  license: "Apache-2.0",
  type: "module",
  sideEffects: false,
  engines: { node: ">=20" },
  exports: {
    ...exportsMap,
    // the contract's schemas and ids, for the Effect client (`TenantId.make`, `CreateDestination`)
    "./domain/*": { types: "./dist/domain/*.d.ts", default: "./dist/domain/*.js" },
    "./package.json": "./package.json"
  },
  types: exportsMap["."].default.types,
  files: ["dist", "README.md"],
  dependencies: Object.fromEntries(
    Object.entries(workspace.dependencies).filter(([name]) => !name.startsWith("@signal/"))
  )
}
writeFileSync(join(out, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`)
cpSync(join(here, "README.md"), join(out, "README.md"))
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(`@signal/client ${manifest.version}: ${closure.size} modules → ${relative(root, out)}`)
}
