import { useState } from "preact/hooks"
import { ApiFailure, type Session } from "../api"
import type { Tenant } from "../types"

/** Asks for the tenant and a key (the admin key or one of the tenant's `sk_…` keys) and checks them with the API. */
export const SignIn = (props: {
  readonly notice: string | undefined
  readonly check: (session: Session) => Promise<Tenant>
  readonly onSignedIn: (session: Session, tenant: Tenant) => void
}) => {
  const [error, setError] = useState<string | undefined>()
  const [busy, setBusy] = useState(false)

  const submit = async (event: SubmitEvent) => {
    event.preventDefault()
    const form = new FormData(event.currentTarget as HTMLFormElement)
    const session = { tenantId: String(form.get("tenantId") ?? "").trim(), key: String(form.get("key") ?? "").trim() }
    setBusy(true)
    setError(undefined)
    try {
      props.onSignedIn(session, await props.check(session))
    } catch (failure) {
      setError(
        !(failure instanceof ApiFailure)
          ? String(failure)
          : failure.status === 401
          ? session.key === ""
            ? "This server needs an API key: enter the admin key or a tenant key."
            : "This key is not valid (unknown or revoked)."
          : failure.status === 404
          ? `No tenant ${session.tenantId} for this key.`
          : failure.message
      )
    } finally {
      setBusy(false)
    }
  }

  return (
    <form class="card narrow" onSubmit={submit} aria-describedby="signin-help">
      <h1>Signal</h1>
      <p id="signin-help" class="muted">
        Sign in with the admin key or a tenant API key (<code>sk_…</code>). The key stays in this tab only.
      </p>
      {props.notice && <p class="notice" role="status">{props.notice}</p>}
      <label for="tenantId">Tenant ID</label>
      <input id="tenantId" name="tenantId" required placeholder="ten_…" autocomplete="off" spellcheck={false} />
      <label for="key">API key</label>
      <input id="key" name="key" type="password" autocomplete="off" aria-describedby="key-help" />
      <p id="key-help" class="hint">Leave empty when Signal runs without <code>SIGNAL_ADMIN_KEY</code> on loopback.</p>
      {error && <p class="error" role="alert">{error}</p>}
      <button type="submit" disabled={busy}>Sign in</button>
    </form>
  )
}
