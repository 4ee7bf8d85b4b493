import { useCallback, useEffect, useRef, useState } from "preact/hooks"

const LOAD_TIMEOUT_MS = 20_000

export interface Polled<A> {
  readonly data: A | undefined
  readonly error: unknown
  readonly updatedAt: Date | undefined
  /** Loads again now (after an action), without waiting for the next tick. */
  readonly refresh: () => void
}

/**
 * Live data without reloading: loads, then loads again every `intervalMs` while the tab is visible
 * (0: once). A new `key` starts over; answers to an older key are dropped.
 */
export const usePoll = <A>(key: string, load: (signal: AbortSignal) => Promise<A>, intervalMs: number): Polled<A> => {
  const [state, setState] = useState<{ key: string; data?: A; error?: unknown; updatedAt?: Date }>({ key })
  const loadRef = useRef(load)
  loadRef.current = load
  const [tick, setTick] = useState(0)
  const refresh = useCallback(() => setTick((n) => n + 1), [])

  useEffect(() => {
    const controller = new AbortController()
    let timer: ReturnType<typeof setTimeout> | undefined
    const schedule = () => {
      if (!controller.signal.aborted && intervalMs > 0) timer = setTimeout(() => run(true), intervalMs)
    }
    const run = async (scheduled: boolean) => {
      // A hidden tab skips its ticks (a first load or a refresh still happens).
      if (scheduled && document.hidden) return schedule()
      // A request that hangs must not stop the live updates: give up on it and try again next tick.
      const attempt = new AbortController()
      const limit = setTimeout(() => attempt.abort(), LOAD_TIMEOUT_MS)
      const abort = () => attempt.abort()
      controller.signal.addEventListener("abort", abort)
      try {
        const data = await loadRef.current(attempt.signal)
        if (!controller.signal.aborted) setState({ key, data, updatedAt: new Date() })
      } catch (error) {
        if (!controller.signal.aborted) setState((previous) => ({ ...previous, key, error }))
      } finally {
        clearTimeout(limit)
        controller.signal.removeEventListener("abort", abort)
      }
      schedule()
    }
    run(false)
    return () => {
      controller.abort()
      if (timer !== undefined) clearTimeout(timer)
    }
  }, [key, intervalMs, tick])

  const current = state.key === key
  return {
    data: current ? state.data : undefined,
    error: current ? state.error : undefined,
    updatedAt: current ? state.updatedAt : undefined,
    refresh
  }
}
