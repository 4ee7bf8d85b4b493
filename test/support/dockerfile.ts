import { readFileSync } from "node:fs"

export interface DockerInstruction {
  readonly name: string
  readonly args: string
}

export interface DockerStage {
  readonly from: string
  readonly alias: string | undefined
  readonly instructions: ReadonlyArray<DockerInstruction>
  /** The arguments of every instruction called `name` in this stage. */
  readonly all: (name: string) => ReadonlyArray<string>
}

/** `["a", "b"]` (exec form) or a shell-form string split on blanks. */
export const execForm = (args: string): Array<string> =>
  args.startsWith("[") ? (JSON.parse(args) as Array<string>) : args.split(/\s+/)

/** `ENV A=1 B=2` (and the legacy `ENV A 1`), with ${ARG} left as written. */
export const envOf = (stage: DockerStage): Record<string, string> => {
  const env: Record<string, string> = {}
  for (const args of stage.all("ENV")) {
    if (!args.includes("=")) {
      const [key, ...rest] = args.split(/\s+/)
      env[key!] = rest.join(" ")
      continue
    }
    for (const m of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
      env[m[1]!] = m[2]!.startsWith("\"") ? (JSON.parse(m[2]!) as string) : m[2]!
    }
  }
  return env
}

/** A Dockerfile split into its stages, with `\` continuations joined and comments dropped. */
export const parseDockerfile = (path: string) => {
  const text = readFileSync(path, "utf8")
  const lines = text
    .split(/\r?\n/)
    .filter((line) => !line.trim().startsWith("#"))
    .join("\n")
    .replace(/\\\r?\n/g, " ")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "")
  const args: Record<string, string> = {}
  const stages: Array<DockerStage> = []
  let current: Array<DockerInstruction> | undefined
  for (const line of lines) {
    const name = line.split(/\s/, 1)[0]!.toUpperCase()
    const rest = line.slice(name.length).trim()
    if (name === "ARG" && current === undefined) {
      const [key, value] = rest.split("=")
      args[key!] = value ?? ""
      continue
    }
    if (name === "FROM") {
      const [image, as, alias] = rest.split(/\s+/)
      const from = image!.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a, b) => args[a ?? b] ?? "")
      const instructions: Array<DockerInstruction> = []
      current = instructions
      stages.push({
        from,
        alias: as?.toUpperCase() === "AS" ? alias : undefined,
        instructions,
        all: (wanted) => instructions.filter((i) => i.name === wanted).map((i) => i.args)
      })
      continue
    }
    if (current === undefined) throw new Error(`${name} before FROM`)
    current.push({ name, args: rest })
  }
  return { text, args, stages, final: stages.at(-1)! }
}
