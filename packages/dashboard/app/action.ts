import { useState } from "preact/hooks"

/**
 * A button's request (retry, disable, rotate…): which one is running, its failure, and a refresh of
 * the page's data once it succeeded.
 */
export const useAction = (refresh: () => void) => {
  const [running, setRunning] = useState<string | undefined>()
  const [failure, setFailure] = useState<unknown>()
  const run = async <A>(name: string, action: () => Promise<A>, onDone?: (result: A) => void) => {
    setRunning(name)
    setFailure(undefined)
    try {
      // Not `onDone?.(await action())`: without `onDone` that would skip the call altogether.
      const result = await action()
      onDone?.(result)
      refresh()
    } catch (error) {
      setFailure(error)
    } finally {
      setRunning(undefined)
    }
  }
  return { running, failure, run }
}
