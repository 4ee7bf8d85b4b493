/** The public HTTP API from the browser: same origin, the key the user entered, JSON both ways. */
export interface Session {
  readonly tenantId: string
  /** Empty when the server runs without SIGNAL_ADMIN_KEY (loopback only). */
  readonly key: string
}

/** An answer other than 2xx, with the API's stable `code` and its validation `details`. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown
  ) {
    super(message)
  }
}

/** Called on any 401 so the page can ask for a key again. */
let onUnauthorized: (failure: ApiFailure) => void = () => {}
export const setUnauthorizedHandler = (handler: (failure: ApiFailure) => void) => {
  onUnauthorized = handler
}

export type Query = Record<string, string | number | ReadonlyArray<string> | undefined | null>

const queryString = (query: Query | undefined): string => {
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null || value === "") continue
    if (Array.isArray(value)) {
      if (value.length > 0) params.set(name, value.join(","))
    } else {
      params.set(name, String(value))
    }
  }
  const text = params.toString()
  return text === "" ? "" : `?${text}`
}

export const request = async <A>(
  session: Pick<Session, "key">,
  method: "GET" | "POST" | "PATCH",
  path: string,
  options: { readonly query?: Query; readonly body?: unknown; readonly signal?: AbortSignal } = {}
): Promise<A> => {
  const headers: Record<string, string> = { accept: "application/json" }
  if (session.key !== "") headers.authorization = `Bearer ${session.key}`
  if (options.body !== undefined) headers["content-type"] = "application/json"
  const init: RequestInit = { method, headers, cache: "no-store" }
  if (options.body !== undefined) init.body = JSON.stringify(options.body)
  if (options.signal !== undefined) init.signal = options.signal
  const response = await fetch(`${path}${queryString(options.query)}`, init)
  const text = await response.text()
  let body: any = null
  try {
    body = text === "" ? null : JSON.parse(text)
  } catch {
    body = { message: text }
  }
  if (!response.ok) {
    const failure = new ApiFailure(
      response.status,
      typeof body?.code === "string" ? body.code : `http_${response.status}`,
      typeof body?.message === "string" ? body.message : `HTTP ${response.status}`,
      body?.details
    )
    if (response.status === 401) onUnauthorized(failure)
    throw failure
  }
  return body as A
}

/** Calls scoped to the signed-in tenant: `/v1/tenants/<tenantId><path>`. */
export const tenantApi = (session: Session) => {
  const base = `/v1/tenants/${encodeURIComponent(session.tenantId)}`
  return {
    get: <A>(path: string, query?: Query, signal?: AbortSignal) =>
      request<A>(session, "GET", `${base}${path}`, { query, ...(signal ? { signal } : {}) }),
    post: <A>(path: string, body?: unknown) => request<A>(session, "POST", `${base}${path}`, { body: body ?? {} }),
    patch: <A>(path: string, body: unknown) => request<A>(session, "PATCH", `${base}${path}`, { body })
  }
}
export type TenantApi = ReturnType<typeof tenantApi>

/**
 * Validation details as `field path → message`: the API answers a schema failure with
 * `details: [{ path: ["variant", "url"], message }]`.
 */
export const fieldErrors = (failure: unknown): Record<string, string> => {
  const errors: Record<string, string> = {}
  if (!(failure instanceof ApiFailure) || !Array.isArray(failure.details)) return errors
  for (const issue of failure.details) {
    if (issue === null || typeof issue !== "object" || !Array.isArray(issue.path)) continue
    const field = issue.path.filter((part: unknown) => typeof part === "string").join(".")
    if (!(field in errors)) errors[field] = String(issue.message ?? "invalid value")
  }
  return errors
}

export const describe = (error: unknown): string =>
  error instanceof ApiFailure ? `${error.message} (${error.code})` : error instanceof Error ? error.message : String(error)
