import { useEffect, useState } from "preact/hooks"

/** Where the page is: `#/events/evt_1?x=y` → `{ path: ["events", "evt_1"], query }`. Hash routes work from any base path. */
export interface Route {
  readonly path: ReadonlyArray<string>
  readonly query: URLSearchParams
}

const current = (): Route => {
  const hash = window.location.hash.replace(/^#\/?/, "")
  const [path = "", query = ""] = hash.split("?", 2)
  return { path: path.split("/").filter((part) => part !== "").map(decodeURIComponent), query: new URLSearchParams(query) }
}

export const useRoute = (): Route => {
  const [route, setRoute] = useState(current)
  useEffect(() => {
    const update = () => setRoute(current())
    window.addEventListener("hashchange", update)
    return () => window.removeEventListener("hashchange", update)
  }, [])
  return route
}

export const href = (...parts: ReadonlyArray<string>): string => `#/${parts.map(encodeURIComponent).join("/")}`

export const navigate = (...parts: ReadonlyArray<string>) => {
  window.location.hash = href(...parts)
}
