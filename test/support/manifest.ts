/**
 * Small typed accessors over parsed YAML/JSON deployment files, and the facts about Signal they
 * are checked against (ports, the environment variables the code reads).
 */
import { readdirSync, readFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

export const root = resolve(fileURLToPath(new URL("../..", import.meta.url)))

export type Obj = Record<string, unknown>

export const isObj = (value: unknown): value is Obj => typeof value === "object" && value !== null && !Array.isArray(value)

export const obj = (value: unknown, what: string): Obj => {
  if (!isObj(value)) throw new Error(`${what}: expected a mapping, got ${JSON.stringify(value)}`)
  return value
}
export const arr = (value: unknown, what: string): Array<unknown> => {
  if (!Array.isArray(value)) throw new Error(`${what}: expected a list, got ${JSON.stringify(value)}`)
  return value
}
export const str = (value: unknown, what: string): string => {
  if (typeof value === "number") return String(value)
  if (typeof value !== "string") throw new Error(`${what}: expected a string, got ${JSON.stringify(value)}`)
  return value
}
export const optArr = (value: unknown, what: string): Array<unknown> => (value === undefined ? [] : arr(value, what))

/** `a.b.c` lookup that fails loudly. */
export const at = (value: unknown, path: string): unknown => {
  let current: unknown = value
  for (const key of path.split(".")) current = obj(current, path)[key]
  return current
}

/** Every nested value (objects and arrays), depth first. */
export const walk = function*(value: unknown): Generator<unknown> {
  yield value
  if (Array.isArray(value)) for (const item of value) yield* walk(item)
  else if (isObj(value)) for (const item of Object.values(value)) yield* walk(item)
}

export const GATEWAY_PORT = 25050
export const RUNNER_PORT = 34431
export const SIGNAL_IMAGE = "ghcr.io/signal-webhooks/signal"

const sourcesOf = (dir: string): Array<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourcesOf(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []
  )

/**
 * Every environment variable a Signal process can read: the names its sources mention, the
 * OpenTelemetry SDK's own `OTEL_*` settings, and Node's NODE_ENV and NODE_OPTIONS.
 */
export const signalEnv = (() => {
  const names = new Set<string>()
  const packages = join(root, "packages")
  for (const pkg of readdirSync(packages)) {
    let files: Array<string> = []
    try {
      files = sourcesOf(join(packages, pkg, "src"))
    } catch {
      continue
    }
    for (const file of files) {
      for (const m of readFileSync(file, "utf8").matchAll(/"((?:SIGNAL|OTEL)_[A-Z0-9_]+|PORT|HOST|DATABASE_URL)"/g)) {
        names.add(m[1]!)
      }
    }
  }
  return {
    names,
    reads: (name: string) => names.has(name) || /^OTEL_[A-Z0-9_]+$/.test(name) || name === "NODE_ENV" || name === "NODE_OPTIONS"
  }
})()
