/** The binary's help, exit codes and configuration, without a server. */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { signal } from "./support"

const closedPort = () =>
  new Promise<number>((resolve) => {
    const server = createServer()
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0))
    })
  })

const tenant = "ten_0000000000000000000000"

describe("signal --help and usage errors", () => {
  it("prints help listing every command group, exit 0", async () => {
    const result = await signal(["--help"])
    expect(result.code).toBe(0)
    const groups = ["tenants", "senders", "api-keys", "destinations", "events", "intents", "attempts", "analytics", "listen"]
    for (const command of groups) {
      expect(result.stdout).toContain(command)
    }
    for (const option of ["--endpoint", "--api-key", "--tenant", "--json"]) expect(result.stdout).toContain(option)
  })

  it("prints help for a group and for a leaf command", async () => {
    const group = await signal(["destinations", "--help"])
    expect(group.code).toBe(0)
    expect(group.stdout).toMatch(/enable/)
    expect(group.stdout).toMatch(/disable/)
    expect(group.stdout).toMatch(/rotate-secret/)
    const keys = await signal(["api-keys", "--help"])
    expect(keys.code).toBe(0)
    for (const command of ["create", "list", "revoke"]) expect(keys.stdout).toContain(command)
    const analytics = await signal(["analytics", "--help"])
    expect(analytics.code).toBe(0)
    for (const option of ["--destination", "--from", "--to"]) expect(analytics.stdout).toContain(option)
    const leaf = await signal(["events", "publish", "--help"])
    expect(leaf.code).toBe(0)
    expect(leaf.stdout).toContain("--data")
    expect(leaf.stdout).toContain("--file")
  })

  it("prints the version", async () => {
    const result = await signal(["--version"])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain("0.1.0")
  })

  it("exits 2 on an unknown command", async () => {
    const result = await signal(["destinatons", "list"])
    expect(result.code).toBe(2)
    expect(result.stderr).not.toBe("")
  })

  it("exits 2 on a missing argument or required option", async () => {
    const missingArg = await signal(["senders", "get"])
    expect(missingArg.code).toBe(2)
    expect(missingArg.stderr).toMatch(/sender-id/)
    const missingOption = await signal(["tenants", "upsert", "--name", "Acme"])
    expect(missingOption.code).toBe(2)
    expect(missingOption.stderr).toMatch(/identifier/)
  })

  it("exits 2 on a count of seconds that is not positive", async () => {
    const result = await signal(["events", "tail", "--tenant", "ten_00000000000000000000000000", "--max-seconds", "-3"])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/^error: invalid_option: --max-seconds must be positive$/m)
  })

  it("exits 2 on a bad option value", async () => {
    const result = await signal(["destinations", "list", "--tenant", tenant, "--order", "sideways"])
    expect(result.code).toBe(2)
  })

  it("exits 2 with a hint when no tenant is configured", async () => {
    const result = await signal(["destinations", "list"])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/^error: missing_tenant: .*--tenant.*SIGNAL_TENANT/m)
  })

  it("exits 2 on a payload that is not JSON, or no payload at all", async () => {
    const bad = await signal(["events", "publish", "--tenant", tenant, "--type", "t", "--sender", "snd_0000000000", "--data", "{nope"])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/^error: invalid_json: /m)
    const empty = await signal(["events", "publish", "--tenant", tenant, "--type", "t", "--sender", "snd_0000000000"], { input: "" })
    expect(empty.code).toBe(2)
    expect(empty.stderr).toMatch(/^error: missing_payload: /m)
  })

  it("exits 1 with error: <code>: <message> for an invalid id (checked before sending)", async () => {
    const result = await signal(["destinations", "get", "not-an-id", "--tenant", tenant])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/^error: invalid_request: destinationId must be a dst_… id$/m)
    expect(result.stdout).toBe("")
  })

  it("exits 1 with a network error when the server is unreachable", async () => {
    const port = await closedPort()
    const result = await signal(["tenants", "get", tenant, "--endpoint", `http://127.0.0.1:${port}`])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(new RegExp(`^error: network_error: could not reach http://127\\.0\\.0\\.1:${port}/`, "m"))
  })
})

describe("signal configuration", () => {
  let dir: string
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "signal-cli-config-"))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it("reads endpoint and tenant from the config file", async () => {
    const port = await closedPort()
    const file = join(dir, "config.json")
    writeFileSync(file, JSON.stringify({ endpoint: `http://127.0.0.1:${port}`, tenant }))
    const result = await signal(["destinations", "list"], { env: { SIGNAL_CONFIG: file } })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(`http://127.0.0.1:${port}/v1/tenants/${tenant}/destinations`)
  })

  it("prefers flags over the environment over the config file", async () => {
    const [filePort, envPort, flagPort] = await Promise.all([closedPort(), closedPort(), closedPort()])
    const file = join(dir, "precedence.json")
    writeFileSync(file, JSON.stringify({ endpoint: `http://127.0.0.1:${filePort}`, tenant }))
    const fromEnv = await signal(["tenants", "get"], {
      env: { SIGNAL_CONFIG: file, SIGNAL_ENDPOINT: `http://127.0.0.1:${envPort}` }
    })
    expect(fromEnv.stderr).toContain(`127.0.0.1:${envPort}`)
    const fromFlag = await signal(["tenants", "get", "--endpoint", `http://127.0.0.1:${flagPort}`], {
      env: { SIGNAL_CONFIG: file, SIGNAL_ENDPOINT: `http://127.0.0.1:${envPort}` }
    })
    expect(fromFlag.stderr).toContain(`127.0.0.1:${flagPort}`)
    // a global flag works before the subcommand as well
    const before = await signal(["--endpoint", `http://127.0.0.1:${flagPort}`, "tenants", "get"], { env: { SIGNAL_CONFIG: file } })
    expect(before.stderr).toContain(`127.0.0.1:${flagPort}`)
  })

  it("reports a malformed config file", async () => {
    const file = join(dir, "broken.json")
    writeFileSync(file, "{ endpoint: ")
    const result = await signal(["tenants", "get", tenant], { env: { SIGNAL_CONFIG: file } })
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/^error: invalid_config: /m)
    // one line that says what is wrong, no schema
    expect(result.stderr.trim().split("\n")).toHaveLength(1)
    expect(result.stderr).not.toMatch(/readonly|<->/)
    expect(result.stderr).toMatch(/JSON/)
  })
})

describe("signal output for terminals and pipes", () => {
  const ansi = /\u001b\[/

  it("prints no colour when piped or with NO_COLOR, and colour with FORCE_COLOR", async () => {
    const piped = await signal(["--help"], { env: { NO_COLOR: undefined } })
    expect(piped.code).toBe(0)
    expect(piped.stdout).not.toMatch(ansi)
    const noColor = await signal(["--help"], { env: { NO_COLOR: "1", FORCE_COLOR: undefined } })
    expect(noColor.stdout).not.toMatch(ansi)
    const forced = await signal(["--help"], { env: { NO_COLOR: undefined, FORCE_COLOR: "1" } })
    expect(forced.stdout).toMatch(ansi)
  })

  it("wraps help to the terminal width (80 columns when piped)", async () => {
    for (const args of [["--help"], ["destinations", "--help"], ["events", "publish", "--help"]]) {
      const result = await signal(args)
      expect(result.code).toBe(0)
      const widest = Math.max(...result.stdout.split("\n").map((line) => line.length))
      expect(widest, args.join(" ")).toBeLessThanOrEqual(80)
    }
  })

  it("prints errors as JSON under --json, SIGNAL_JSON or the config file's json", async () => {
    const port = await closedPort()
    const endpoint = `http://127.0.0.1:${port}`
    const flag = await signal(["tenants", "get", tenant, "--endpoint", endpoint, "--json"])
    expect(flag.code).toBe(1)
    const error = JSON.parse(flag.stderr.trim()).error
    expect(error).toMatchObject({ code: "network_error", status: 0 })
    expect(error.message).toContain(endpoint)

    const invalid = await signal(["destinations", "get", "not-an-id", "--tenant", tenant], { env: { SIGNAL_JSON: "true" } })
    expect(invalid.code).toBe(1)
    expect(JSON.parse(invalid.stderr.trim()).error).toEqual({
      code: "invalid_request",
      message: "destinationId must be a dst_… id",
      status: 400,
      details: [{ path: ["destinationId"], message: "destinationId must be a dst_… id" }]
    })

    const usage = await signal(["destinations", "list", "--json"])
    expect(usage.code).toBe(2)
    expect(JSON.parse(usage.stderr.trim()).error.code).toBe("missing_tenant")
  })
})

describe("generic commands for the rest of the contract", () => {
  it("lists them with the hand-written ones and takes ids, query flags and --data", async () => {
    const events = await signal(["events", "--help"])
    expect(events.stdout).toContain("create-batch")
    const batch = await signal(["events", "create-batch", "--help"])
    expect(batch.code).toBe(0)
    expect(batch.stdout).toContain("--data")
    const bad = await signal(["events", "create-batch", "--tenant", tenant, "--data", "[1]"])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/^error: invalid_json: --data must be a JSON object/m)
  })
})
