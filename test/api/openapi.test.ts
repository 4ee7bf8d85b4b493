/** The OpenAPI document as served: linted so that every operation is documented for people. */
import { operationDocs } from "@signal/domain/ApiDocs"
import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import { useTestServer } from "../support/server"

const running = useTestServer()
const methods = ["get", "put", "post", "patch", "delete"]

const gatewayVersion = JSON.parse(readFileSync(new URL("../../packages/gateway/package.json", import.meta.url), "utf8")).version

const operationsOf = (spec: any) =>
  Object.entries<any>(spec.paths).flatMap(([path, item]) =>
    methods.filter((method) => item[method] !== undefined).map((method) => ({ label: `${method.toUpperCase()} ${path}`, op: item[method] }))
  )

describe("GET /openapi.json", () => {
  it("says which Signal it describes and where it is served", async () => {
    const spec = (await running.client.get("/openapi.json")).body
    expect(spec.info.version).toBe(gatewayVersion)
    expect(spec.info.version).not.toBe("0.0.1")
    expect(spec.servers.length).toBeGreaterThan(0)
    expect(Object.keys(spec.components.securitySchemes).sort()).toEqual(["apiKey", "bearer"])
    for (const tag of spec.tags) expect(tag.description, tag.name).toMatch(/\S/)
  })

  it("lints: every operation has a summary, a description and an error response schema", async () => {
    const spec = (await running.client.get("/openapi.json")).body
    const operations = operationsOf(spec)
    expect(operations.length).toBeGreaterThanOrEqual(26)
    const problems: Array<string> = []
    for (const { label, op } of operations) {
      if (typeof op.summary !== "string" || op.summary.trim() === "") problems.push(`${label}: no summary`)
      if (typeof op.description !== "string" || op.description.trim() === "") problems.push(`${label}: no description`)
      const errors = Object.entries<any>(op.responses).filter(([status]) => /^[45]\d\d$/.test(status))
      const withSchema = errors.filter(([, response]) => response.content?.["application/json"]?.schema !== undefined)
      if (withSchema.length === 0) problems.push(`${label}: no error response with a JSON schema`)
      if (!(op.responses["400"]?.content?.["application/json"]?.schema)) problems.push(`${label}: no 400 schema`)
      const body = op.requestBody?.content?.["application/json"]
      if (body !== undefined && body.example === undefined) problems.push(`${label}: request body without an example`)
    }
    expect(problems).toEqual([])
  })

  it("describes the fields of request bodies and the parameters", async () => {
    const spec = (await running.client.get("/openapi.json")).body
    const resolve = (schema: any): any =>
      schema?.$ref === undefined ? schema : resolve(spec.components.schemas[schema.$ref.replace("#/components/schemas/", "")])
    const undescribed: Array<string> = []
    let checked = 0
    for (const { label, op } of operationsOf(spec)) {
      for (const parameter of op.parameters ?? []) {
        checked++
        if (typeof parameter.description !== "string") undescribed.push(`${label}: parameter ${parameter.name}`)
      }
      const body = resolve(op.requestBody?.content?.["application/json"]?.schema)
      const objects = body === undefined ? [] : body.anyOf !== undefined ? body.anyOf.map(resolve) : [body]
      for (const object of objects) {
        for (const [name, property] of Object.entries<any>(object?.properties ?? {})) {
          checked++
          if (typeof property.description !== "string") undescribed.push(`${label}: body field ${name}`)
        }
      }
    }
    expect(undescribed).toEqual([])
    expect(checked).toBeGreaterThan(80)
  })

  it("documents only operations the contract has", async () => {
    const spec = (await running.client.get("/openapi.json")).body
    const ids = new Set(operationsOf(spec).map(({ op }) => op.operationId))
    expect(Object.keys(operationDocs).filter((id) => !ids.has(id))).toEqual([])
  })

  it("renders the summaries on the docs page", async () => {
    const html = await (await fetch(`${running.server.url}/docs`)).text()
    expect(html).toContain("Publish an event")
    expect(html).toContain("Webhook receivers")
  })
})
