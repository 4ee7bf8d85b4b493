import { useEffect, useRef, useState } from "preact/hooks"
import { ApiFailure, request, type Session, setUnauthorizedHandler, tenantApi } from "./api"
import { href, useRoute } from "./route"
import { loadSession, saveSession } from "./session"
import type { Settings, Tenant } from "./types"
import { DestinationForm } from "./views/DestinationForm"
import { DestinationPage } from "./views/DestinationPage"
import { Destinations } from "./views/Destinations"
import { EventPage } from "./views/EventPage"
import { Events } from "./views/Events"
import { Overview } from "./views/Overview"
import { SignIn } from "./views/SignIn"

const sections = [
  { id: "overview", label: "Overview" },
  { id: "destinations", label: "Destinations" },
  { id: "events", label: "Events" }
] as const

export const App = () => {
  const [session, setSession] = useState<Session | undefined>(loadSession)
  const [tenant, setTenant] = useState<Tenant | undefined>()
  const [notice, setNotice] = useState<string | undefined>()
  const [settings, setSettings] = useState<Settings>({ traceUrlTemplate: null })
  const route = useRoute()
  const routeKey = route.path.join("/")
  const firstRoute = useRef(routeKey)

  // After following a link, keyboard and screen-reader users continue at the new page's content.
  useEffect(() => {
    if (routeKey !== firstRoute.current) document.getElementById("main")?.focus({ preventScroll: true })
    firstRoute.current = ""
  }, [routeKey])

  useEffect(() => {
    fetch("/ui/settings.json").then((r) => r.json()).then(setSettings, () => {})
    setUnauthorizedHandler((failure) => {
      saveSession(undefined)
      setSession(undefined)
      setNotice(`Signed out: ${failure.message}`)
    })
  }, [])

  // A session restored from the tab: fetch the tenant's name again (and drop the session if it no longer works).
  useEffect(() => {
    if (session === undefined || tenant?.id === session.tenantId) return
    tenantApi(session).get<Tenant>("").then(setTenant, (error) => {
      if (error instanceof ApiFailure && error.status !== 401) signOut(error.message)
    })
  }, [session])

  const signIn = (next: Session, found: Tenant) => {
    saveSession(next)
    setTenant(found)
    setSession(next)
    setNotice(undefined)
    if (route.path.length === 0) window.location.hash = href("overview")
  }
  const signOut = (message?: string) => {
    saveSession(undefined)
    setSession(undefined)
    setTenant(undefined)
    setNotice(message)
  }

  if (session === undefined) {
    return (
      <main id="main" class="signin">
        <SignIn notice={notice} onSignedIn={signIn} check={(candidate) => request<Tenant>(candidate, "GET", `/v1/tenants/${encodeURIComponent(candidate.tenantId)}`)} />
      </main>
    )
  }

  const [section = "overview", id, action] = route.path
  const api = tenantApi(session)
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById("main")?.focus() }}>
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href={href("overview")}>Signal</a>
        <nav aria-label="Sections">
          <ul>
            {sections.map((s) => (
              <li key={s.id}>
                <a href={href(s.id)} aria-current={section === s.id ? "page" : undefined}>{s.label}</a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span title={session.tenantId}>{tenant?.name ?? session.tenantId}</span>
          <button type="button" class="link" onClick={() => signOut()}>Sign out</button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {section === "destinations" && id === "new"
          ? <DestinationForm api={api} />
          : section === "destinations" && id !== undefined && action === "edit"
          ? <DestinationForm api={api} destinationId={id} />
          : section === "destinations" && id !== undefined
          ? <DestinationPage api={api} destinationId={id} />
          : section === "destinations"
          ? <Destinations api={api} />
          : section === "events" && id !== undefined
          ? <EventPage api={api} eventId={id} settings={settings} tenantId={session.tenantId} />
          : section === "events"
          ? <Events api={api} />
          : <Overview api={api} tenantId={session.tenantId} />}
      </main>
    </>
  )
}
