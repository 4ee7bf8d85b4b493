/** Minimal JSON-over-HTTP helpers for end-to-end tests against a running Signal. */
export interface JsonResponse<T = any> {
  readonly status: number
  readonly body: T
  readonly headers: Headers
}

export const request = async <T = any>(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {}
): Promise<JsonResponse<T>> => {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body)
  })
  const text = await response.text()
  let parsed: unknown = text
  try {
    parsed = text === "" ? null : JSON.parse(text)
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body: parsed as T, headers: response.headers }
}

export const api = (baseUrl: string) => ({
  get: <T = any>(path: string, headers?: Record<string, string>) => request<T>(baseUrl, "GET", path, undefined, headers),
  post: <T = any>(path: string, body?: unknown, headers?: Record<string, string>) =>
    request<T>(baseUrl, "POST", path, body ?? {}, headers),
  put: <T = any>(path: string, body: unknown, headers?: Record<string, string>) =>
    request<T>(baseUrl, "PUT", path, body, headers),
  patch: <T = any>(path: string, body: unknown, headers?: Record<string, string>) =>
    request<T>(baseUrl, "PATCH", path, body, headers),
  delete: <T = any>(path: string, headers?: Record<string, string>) =>
    request<T>(baseUrl, "DELETE", path, undefined, headers)
})

export type Api = ReturnType<typeof api>

/** Polls until `check` returns a value (not undefined) or the time runs out. */
export const eventually = async <T>(
  check: () => Promise<T | undefined>,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {}
): Promise<T> => {
  const deadline = Date.now() + (options.timeoutMs ?? 15_000)
  let last: unknown
  while (Date.now() < deadline) {
    try {
      const value = await check()
      if (value !== undefined) return value
    } catch (error) {
      last = error
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50))
  }
  throw new Error(`timed out waiting for ${options.what ?? "condition"}${last ? `: ${String(last)}` : ""}`)
}

/** Creates a tenant and a sender with unique identifiers. */
export const seedTenant = async (client: Api) => {
  const suffix = Math.random().toString(36).slice(2, 10)
  const tenant = await client.put("/v1/tenants", { identifier: `tenant-${suffix}`, name: `Tenant ${suffix}` })
  const sender = await client.put("/v1/senders", { identifier: `sender-${suffix}`, name: `Sender ${suffix}` })
  if (tenant.status !== 200 || sender.status !== 200) throw new Error("could not seed tenant/sender")
  return { tenantId: tenant.body.id as string, senderId: sender.body.id as string }
}
