/**
 * How the command line's text reaches the terminal. Colour only where it is wanted: `FORCE_COLOR`
 * (not `0`) turns it on, `NO_COLOR` (any value) off, and otherwise it follows whether the stream
 * is a terminal; help and usage text wrapped to the terminal's width (80 columns when piped).
 * @effect/cli renders its help with ANSI styles at any width; this is where that is undone.
 */
import { Console, Effect } from "effect"

export interface DisplayOptions {
  /** Keep ANSI styles in stdout / stderr text. */
  readonly colorOut: boolean
  readonly colorErr: boolean
  /** Wrap lines to this many columns (help, usage errors); `undefined` leaves lines as they are. */
  readonly width: number | undefined
}

/** Whether a stream gets colour: FORCE_COLOR › NO_COLOR › is it a terminal. */
export const colorWanted = (env: NodeJS.ProcessEnv, isTTY: boolean | undefined): boolean => {
  const force = env.FORCE_COLOR
  if (force !== undefined) return force !== "0" && force !== "false"
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false
  return isTTY === true
}

// CSI sequences (colours, styles) and OSC sequences (hyperlinks)
const ansi = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)/g

export const stripAnsi = (text: string): string => text.replace(ansi, "")

const visible = (text: string) => stripAnsi(text).length

/** Breaks one line at spaces so no piece is wider than `width`; pieces after the first get `indent`. */
const wrapLine = (line: string, width: number, indent: string): Array<string> => {
  const out: Array<string> = []
  let current = ""
  for (const word of line.split(/(?<=\S)\s+(?=\S)/)) {
    const candidate = current === "" ? word : `${current} ${word}`
    if (current !== "" && visible(candidate) > width) {
      out.push(current)
      current = `${indent}${word.trimStart()}`
    } else {
      current = candidate
    }
  }
  out.push(current)
  return out
}

/**
 * Fits text into `width` columns. A row of @effect/cli's command table (`- name [flags]   description`,
 * padded to the widest row) becomes the usage, wrapped, with the description on its own line under it.
 */
export const wrap = (text: string, width: number): string =>
  text.split("\n").flatMap((raw) => {
    const line = raw.trimEnd()
    if (visible(line) <= width) return [line]
    const indent = /^\s*/.exec(stripAnsi(line))![0]
    const row = /^(\s*)(.*?\S)\s{2,}(\S.*)$/.exec(line)
    if (row !== null) {
      return [
        ...wrapLine(`${row[1]}${row[2]}`, width, `${indent}    `),
        ...wrapLine(`${indent}    ${row[3]}`, width, `${indent}    `)
      ]
    }
    return wrapLine(line, width, `${indent}  `)
  }).join("\n")

const render = (color: boolean, width: number | undefined) => (value: unknown): unknown => {
  if (typeof value !== "string") return value
  const plain = color ? value : stripAnsi(value)
  return width === undefined ? plain : wrap(plain, width)
}

/** A Console that writes through `base` after dropping colour and wrapping as `options` say. */
export const displayConsole = (base: Console.Console, options: DisplayOptions): Console.Console => {
  const out = render(options.colorOut, options.width)
  const err = render(options.colorErr, options.width)
  return {
    ...base,
    log: (...args) => base.log(...args.map(out)),
    info: (...args) => base.info(...args.map(out)),
    error: (...args) => base.error(...args.map(err)),
    warn: (...args) => base.warn(...args.map(err)),
    unsafe: {
      ...base.unsafe,
      log: (...args) => base.unsafe.log(...args.map(out)),
      info: (...args) => base.unsafe.info(...args.map(out)),
      error: (...args) => base.unsafe.error(...args.map(err)),
      warn: (...args) => base.unsafe.warn(...args.map(err))
    }
  }
}

/** The display this process should use: colour per stream, wrapping when help is asked for. */
export const processDisplay = (argv: ReadonlyArray<string>): DisplayOptions => ({
  colorOut: colorWanted(process.env, process.stdout.isTTY),
  colorErr: colorWanted(process.env, process.stderr.isTTY),
  width: argv.includes("--help") || argv.includes("-h") || argv.includes("--wizard")
    ? Math.max(40, process.stdout.columns ?? 80)
    : undefined
})

/** Runs `effect` with the process's display. */
export const withDisplay = (argv: ReadonlyArray<string>) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(Effect.console, (base) => Effect.withConsole(effect, displayConsole(base, processDisplay(argv))))
