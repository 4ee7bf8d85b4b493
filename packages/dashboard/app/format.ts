export const dateTime = (iso: string | null | undefined): string =>
  iso ? new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" }) : "—"

export const time = (iso: string | null | undefined): string => iso ? new Date(iso).toLocaleTimeString() : "—"

export const percent = (rate: number | null | undefined): string =>
  rate === null || rate === undefined ? "—" : `${(rate * 100).toFixed(rate === 1 || rate === 0 ? 0 : 1)} %`

export const ms = (value: number | null | undefined): string =>
  value === null || value === undefined ? "—" : value < 1000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(2)} s`

export const count = (value: number): string => value.toLocaleString()

export const json = (value: unknown): string => JSON.stringify(value, null, 2)

/** Header values worth hiding from a screen (credentials in custom headers, signatures). */
export const isSecretHeader = (name: string): boolean =>
  /authorization|cookie|secret|token|password|signature|api[-_]?key/i.test(name)
