/** Rendering for people (aligned tables, key/value details) and for machines (`--json`). */
import type { Page } from "@signal/client/Types"
import { Console, Effect } from "effect"
import { CliSettings } from "./Settings"

export interface Column<A> {
  readonly header: string
  readonly cell: (row: A) => string
}

const NONE = "-"

/** ISO timestamp without milliseconds, e.g. `2025-01-02T03:04:05Z`. */
export const time = (iso: string | null | undefined): string => (iso == null ? NONE : iso.replace(/\.\d+Z$/, "Z"))

export const text = (value: string | number | boolean | null | undefined): string =>
  value === null || value === undefined || value === "" ? NONE : String(value)

export const list = (values: ReadonlyArray<string> | null | undefined, ifNull = NONE): string =>
  values == null ? ifNull : values.length === 0 ? NONE : values.join(",")

export const truncate = (value: string, max: number): string =>
  value.length <= max ? value : `${value.slice(0, max - 1)}…`

/** Columns padded to their widest cell, two spaces apart; no trailing blanks. */
export const renderTable = <A>(columns: ReadonlyArray<Column<A>>, rows: ReadonlyArray<A>): string => {
  const cells = rows.map((row) => columns.map((column) => column.cell(row).replace(/\s+/g, " ")))
  const widths = columns.map((column, i) => Math.max(column.header.length, ...cells.map((line) => line[i].length)))
  const line = (values: ReadonlyArray<string>) =>
    values.map((value, i) => (i === values.length - 1 ? value : value.padEnd(widths[i]))).join("  ").trimEnd()
  return [line(columns.map((column) => column.header)), ...cells.map(line)].join("\n")
}

const flatten = (value: unknown, prefix: string, out: Array<[string, string]>) => {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const entries = Object.entries(value)
    if (entries.length === 0) out.push([prefix, "{}"])
    for (const [key, inner] of entries) flatten(inner, prefix === "" ? key : `${prefix}.${key}`, out)
    return
  }
  if (Array.isArray(value)) {
    const simple = value.every((item) => item === null || typeof item !== "object")
    out.push([prefix, value.length === 0 ? "[]" : simple ? value.join(",") : JSON.stringify(value)])
    return
  }
  out.push([prefix, value === null || value === undefined ? NONE : typeof value === "string" ? value : JSON.stringify(value)])
}

/** One object as `key  value` lines, nested keys dotted (`webhook.signingSecret`). */
export const renderDetails = (value: object, order: ReadonlyArray<string> = []): string => {
  const rows: Array<[string, string]> = []
  flatten(value, "", rows)
  const rank = (key: string) => {
    const index = order.findIndex((prefix) => key === prefix || key.startsWith(`${prefix}.`))
    return index < 0 ? order.length : index
  }
  rows.sort((a, b) => rank(a[0]) - rank(b[0]))
  const width = Math.max(...rows.map(([key]) => key.length))
  return rows.map(([key, val]) => `${key.padEnd(width)}  ${val.replace(/\n/g, "\\n")}`).join("\n")
}

/** Prints `value` as JSON with `--json`, else as `human(value)`. */
export const output = <A>(value: A, human: (value: A) => string): Effect.Effect<void, never, CliSettings> =>
  Effect.flatMap(CliSettings, (settings) => Console.log(settings.json ? JSON.stringify(value, null, 2) : human(value)))

/** A single resource: JSON, or its fields one per line. */
export const outputDetails = <A extends object>(value: A, order?: ReadonlyArray<string>) =>
  output(value, (v) => renderDetails(v, order))

/** A page of resources: JSON as the API returned it, or a table with a hint for the next page. */
export const outputPage = <A>(page: Page<A>, columns: ReadonlyArray<Column<A>>, noun: string) =>
  output(page, (p) => {
    if (p.items.length === 0) return `no ${noun}`
    const table = renderTable(columns, p.items)
    return p.hasMore && p.nextCursor !== null ? `${table}\n(more: --cursor ${p.nextCursor})` : table
  })

/** One line per item as it happens: NDJSON with `--json`. */
export const outputLine = <A>(value: A, human: (value: A) => string) =>
  Effect.flatMap(CliSettings, (settings) => Console.log(settings.json ? JSON.stringify(value) : human(value)))
