/** The endpoints of the contract, read from `SignalApi` itself so a new endpoint is covered without edits. */
import { SignalApi } from "@signal/domain/SignalApi"
import { randomBytes } from "node:crypto"
import { request } from "../support/http"

export interface ContractEndpoint {
  /** `group.endpoint`, e.g. `eventDestination.rotateSecret`. */
  readonly id: string
  readonly group: string
  readonly method: string
  readonly path: string
}

export const contractEndpoints: ReadonlyArray<ContractEndpoint> = Object.values(SignalApi.groups).flatMap((group) =>
  Object.values(group.endpoints).map((endpoint) => ({
    id: `${group.identifier}.${endpoint.name}`,
    group: group.identifier,
    method: endpoint.method,
    path: endpoint.path
  }))
)

/** What stays open without a key. */
export const isOpen = (endpoint: ContractEndpoint) => endpoint.group === "health"

/**
 * The access rule as designed (not as configured): routes of one tenant are tenant-scoped; routes
 * without a tenant, and API key management, are the admin's.
 */
export const isAdminOnly = (endpoint: ContractEndpoint) =>
  !endpoint.path.includes(":tenantId") || endpoint.path.includes("/api-keys")

/** `/v1/tenants/:tenantId/…` with the given values; a parameter without a value is a test bug. */
export const fillPath = (path: string, params: Readonly<Record<string, string>>) =>
  path.replace(/:(\w+)/g, (_, name: string) => {
    const value = params[name]
    if (value === undefined) throw new Error(`no value for :${name} in ${path}: add one to the test's fixtures`)
    return encodeURIComponent(value)
  })

export const ADMIN_KEY = `admin-${randomBytes(16).toString("hex")}`

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` })

/** JSON requests with a key (or none). */
export const keyed = (baseUrl: string, headers: Record<string, string>) => ({
  get: (path: string) => request(baseUrl, "GET", path, undefined, headers),
  post: (path: string, body: unknown = {}) => request(baseUrl, "POST", path, body, headers),
  put: (path: string, body: unknown) => request(baseUrl, "PUT", path, body, headers),
  patch: (path: string, body: unknown) => request(baseUrl, "PATCH", path, body, headers),
  delete: (path: string) => request(baseUrl, "DELETE", path, undefined, headers),
  send: (method: string, path: string, body?: unknown) => request(baseUrl, method, path, body, headers)
})
export type Keyed = ReturnType<typeof keyed>

/** A tenant (with a sender) created with the admin key. */
export const seedTenant = async (admin: Keyed) => {
  const suffix = randomBytes(5).toString("hex")
  const tenant = await admin.put("/v1/tenants", { identifier: `tenant-${suffix}`, name: `Tenant ${suffix}` })
  const sender = await admin.put("/v1/senders", { identifier: `sender-${suffix}`, name: `Sender ${suffix}` })
  if (tenant.status !== 200 || sender.status !== 200) throw new Error(`could not seed: ${JSON.stringify(tenant.body)}`)
  return { tenantId: tenant.body.id as string, senderId: sender.body.id as string }
}

/** A tenant API key created with the admin key: its id and the plaintext (shown once). */
export const createKey = async (admin: Keyed, tenantId: string, name = "test") => {
  const created = await admin.post(`/v1/tenants/${tenantId}/api-keys`, { name })
  if (created.status !== 201) throw new Error(`could not create a key: ${JSON.stringify(created.body)}`)
  return { id: created.body.id as string, key: created.body.key as string }
}
