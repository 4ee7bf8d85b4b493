import { useCallback, useEffect, useRef, useState } from "preact/hooks"

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
    const run = async () => {
      if (document.hidden && intervalMs > 0) {
        timer = setTimeout(run, intervalMs)
        return
      }
      try {
        const data = await loadRef.current(controller.signal)
        if (!controller.signal.aborted) setState({ key, data, updatedAt: new Date() })
      } catch (error) {
        if (!controller.signal.aborted) setState((previous) => ({ ...previous, key, error }))
      }
      if (!controller.signal.aborted && intervalMs > 0) timer = setTimeout(run, intervalMs)
    }
    run()
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
