import { readdirSync, readFileSync } from "node:fs"

/** Clock ticks per second for /proc CPU times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100

const stat = (pid: number): { readonly state: string; readonly ppid: number; readonly ticks: number } | undefined => {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8")
    // fields after the parenthesised command name: state ppid … utime(14) stime(15)
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ")
    return { state: fields[0]!, ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) }
  } catch {
    return undefined
  }
}

/** Every process's children, as they are now. */
const childrenByParent = () => {
  const children = new Map<number, Array<number>>()
  for (const entry of readdirSync("/proc")) {
    const child = Number(entry)
    if (!Number.isInteger(child)) continue
    const info = stat(child)
    if (info === undefined) continue
    children.set(info.ppid, [...(children.get(info.ppid) ?? []), child])
  }
  return children
}

/** The processes `pid` started that are still there (zombies included). */
export const childrenOf = (pid: number): ReadonlyArray<number> => childrenByParent().get(pid) ?? []

/** Whether `pid` still runs: a zombie (ended, not yet reaped by its parent) does not. */
export const isRunning = (pid: number): boolean => {
  const state = stat(pid)?.state
  return state !== undefined && state !== "Z" && state !== "X"
}

/** Microseconds of CPU time in `ticks` clock ticks. */
export const ticksToMicros = (ticks: number): number => ticks * (1_000_000 / TICKS_PER_SECOND)

/** CPU ticks (user + system) used so far by `pid` alone. */
export const processTicks = (pid: number): number => stat(pid)?.ticks ?? 0

/** CPU ticks used so far by `pid` and every process it started (their children as they are now). */
export const treeTicks = (pid: number): number => {
  const children = childrenByParent()
  let ticks = 0
  const pending = [pid]
  while (pending.length > 0) {
    const next = pending.pop()!
    ticks += processTicks(next)
    pending.push(...(children.get(next) ?? []))
  }
  return ticks
}
