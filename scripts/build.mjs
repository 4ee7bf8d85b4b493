#!/usr/bin/env node
// Emits each workspace package's `src/**/*.ts` as ES modules Node runs as they are:
// packages/<name>/src/X.ts → packages/<name>/dist/X.js (+ source map); other files are copied.
//
// `tsc -b` type-checks the whole project first (run by `npm run build`); this step only emits.
// The sources are written for a bundler-style resolver (`./Ids`, `@signal/store/Database`), which
// Node's ESM loader does not accept, so every module specifier is rewritten while emitting:
//   ./Ids                    → ./Ids.js
//   @signal/store/Database   → ../../store/dist/Database.js  (sibling package's emitted file)
// Cross-package imports become relative paths so the packages' `exports` (which point at the
// TypeScript sources for tests and development) stay as they are. Each file is transpiled on its
// own, which is exact because the project compiles with `isolatedModules` and
// `verbatimModuleSyntax`. Unchanged files are skipped, so a second run costs almost nothing.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { dirname, join, relative, resolve, sep } from "node:path"
import { fileURLToPath } from "node:url"
import ts from "typescript"
import { bundle, bundles } from "./bundle.mjs"

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..")
const packagesDir = join(root, "packages")
const clean = process.argv.includes("--clean")

/** Workspace packages by their npm name (`@signal/store` → packages/store). */
const packages = new Map(
  readdirSync(packagesDir)
    .filter((name) => existsSync(join(packagesDir, name, "package.json")) && existsSync(join(packagesDir, name, "src")))
    .map((name) => [JSON.parse(readFileSync(join(packagesDir, name, "package.json"), "utf8")).name, name])
)

const base = ts.parseJsonConfigFileContent(
  ts.readConfigFile(join(root, "tsconfig.base.json"), ts.sys.readFile).config,
  ts.sys,
  root
).options
const compilerOptions = {
  ...base,
  composite: false,
  declaration: false,
  emitDeclarationOnly: false,
  incremental: false,
  noEmit: false,
  sourceMap: true,
  inlineSources: false
}

const isFile = (path) => existsSync(path) && statSync(path).isFile()

/** The emitted specifier for a source module path (without extension), relative to `fromDir`. */
const emitted = (fromDir, target) => {
  let spec = relative(fromDir, target).split(sep).join("/")
  if (!spec.startsWith(".")) spec = `./${spec}`
  return spec
}

/** Where `specifier`, imported by `sourceFile` of package `pkg`, lives once emitted; undefined to keep it. */
const rewrite = (specifier, sourceFile, pkg) => {
  const fromSrc = dirname(sourceFile)
  const fromDist = join(packagesDir, pkg, "dist", relative(join(packagesDir, pkg, "src"), fromSrc))
  if (specifier.startsWith("./") || specifier.startsWith("../")) {
    if (/\.(m?js|json|node)$/.test(specifier)) return undefined
    const target = resolve(fromSrc, specifier.replace(/\.ts$/, ""))
    if (isFile(`${target}.ts`)) return emitted(fromSrc, `${target}.js`)
    if (isFile(join(target, "index.ts"))) return emitted(fromSrc, join(target, "index.js"))
    throw new Error(`${relative(root, sourceFile)}: cannot resolve ${specifier}`)
  }
  const match = /^(@signal\/[^/]+)(?:\/(.+))?$/.exec(specifier)
  if (!match || !packages.has(match[1])) return undefined
  const targetPkg = packages.get(match[1])
  const sub = match[2] ?? "index"
  if (!isFile(join(packagesDir, targetPkg, "src", `${sub}.ts`))) {
    throw new Error(`${relative(root, sourceFile)}: ${specifier} has no source file packages/${targetPkg}/src/${sub}.ts`)
  }
  return emitted(fromDist, join(packagesDir, targetPkg, "dist", `${sub}.js`))
}

/** A transformer rewriting static imports, re-exports and `import("…")` with literal specifiers. */
const specifierTransformer = (sourceFile, pkg) => (context) => {
  const { factory } = context
  const literal = (node) => {
    const next = rewrite(node.text, sourceFile, pkg)
    return next === undefined ? node : factory.createStringLiteral(next)
  }
  const visit = (node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      return factory.updateImportDeclaration(node, node.modifiers, node.importClause, literal(node.moduleSpecifier), node.attributes)
    }
    if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      return factory.updateExportDeclaration(
        node,
        node.modifiers,
        node.isTypeOnly,
        node.exportClause,
        literal(node.moduleSpecifier),
        node.attributes
      )
    }
    if (
      ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments.length >= 1 && ts.isStringLiteral(node.arguments[0])
    ) {
      return factory.updateCallExpression(node, node.expression, node.typeArguments, [
        literal(node.arguments[0]),
        ...node.arguments.slice(1)
      ])
    }
    return ts.visitEachChild(node, visit, context)
  }
  return (file) => ts.visitNode(file, visit)
}

const filesOf = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesOf(join(dir, entry.name)) : [join(dir, entry.name)]
  )
const isSource = (path) => path.endsWith(".ts") && !path.endsWith(".d.ts")

// A change to this script re-emits everything.
const self = statSync(fileURLToPath(import.meta.url)).mtimeMs
let written = 0
for (const pkg of packages.values()) {
  const src = join(packagesDir, pkg, "src")
  const dist = join(packagesDir, pkg, "dist")
  if (clean) rmSync(dist, { recursive: true, force: true })
  const files = filesOf(src)
  const sources = files.filter(isSource)
  // the command line bundles (scripts/bundle.mjs) live in dist/ as well
  const expected = new Set(bundles.map(({ out }) => join(root, out)))
  // Anything else under src/ (SQL, HTML, JSON read at run time) is shipped as it is.
  for (const asset of files.filter((f) => !isSource(f) && !f.endsWith(".d.ts"))) {
    const out = join(dist, relative(src, asset))
    expected.add(out)
    if (isFile(out) && statSync(out).mtimeMs >= statSync(asset).mtimeMs) continue
    mkdirSync(dirname(out), { recursive: true })
    cpSync(asset, out)
    written++
  }
  for (const sourceFile of sources) {
    const out = join(dist, relative(src, sourceFile)).replace(/\.ts$/, ".js")
    expected.add(out)
    expected.add(`${out}.map`)
    if (isFile(out) && statSync(out).mtimeMs >= Math.max(statSync(sourceFile).mtimeMs, self)) continue
    const result = ts.transpileModule(readFileSync(sourceFile, "utf8"), {
      compilerOptions,
      fileName: sourceFile,
      reportDiagnostics: true,
      transformers: { after: [specifierTransformer(sourceFile, pkg)] }
    })
    const errors = (result.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error)
    if (errors.length > 0) {
      throw new Error(ts.formatDiagnostics(errors, {
        getCanonicalFileName: (f) => f,
        getCurrentDirectory: () => root,
        getNewLine: () => "\n"
      }))
    }
    mkdirSync(dirname(out), { recursive: true })
    const map = JSON.parse(result.sourceMapText)
    map.file = relative(dirname(out), out)
    map.sources = [relative(dirname(out), sourceFile).split(sep).join("/")]
    writeFileSync(out, result.outputText.replace(/\/\/# sourceMappingURL=.*$/m, `//# sourceMappingURL=${map.file}.map`))
    writeFileSync(`${out}.map`, JSON.stringify(map))
    written++
  }
  // Files whose source was deleted must not linger in the build.
  const stale = (dir) =>
    existsSync(dir)
      ? readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? stale(join(dir, e.name)) : expected.has(join(dir, e.name)) ? [] : [join(dir, e.name)]
      )
      : []
  for (const file of stale(dist)) rmSync(file)
}
if (written > 0) console.log(`signal build: wrote ${written} file(s) to packages/*/dist`)
const bundled = await bundle({ force: clean })
if (bundled > 0) console.log(`signal build: bundled ${bundled} command line(s)`)
