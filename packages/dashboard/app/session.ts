import type { Session } from "./api"

/** Kept for this tab only: sessionStorage is cleared when the tab closes and is not shared with other tabs. */
const KEY = "signal.session"

export const loadSession = (): Session | undefined => {
  try {
    const value = JSON.parse(sessionStorage.getItem(KEY) ?? "null")
    return typeof value?.tenantId === "string" && typeof value?.key === "string" ? value : undefined
  } catch {
    return undefined
  }
}

export const saveSession = (session: Session | undefined) => {
  if (session === undefined) sessionStorage.removeItem(KEY)
  else sessionStorage.setItem(KEY, JSON.stringify(session))
}
