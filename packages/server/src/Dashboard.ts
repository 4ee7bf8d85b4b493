import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Config, Effect, Option } from "effect"
import { readFile } from "node:fs/promises"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

/**
 * The dashboard's built files (`npm run build:ui`, part of `npm run build`): the same place from this
 * module's source and from its compiled output, both two levels below `packages/`.
 */
const assetsDir = fileURLToPath(new URL("../../dashboard/dist", import.meta.url))

/** The built files, by the name they are served under; nothing else in the folder is reachable. */
const assets = {
  "app.js": "text/javascript; charset=utf-8",
  "app.js.map": "application/json; charset=utf-8",
  "app.css": "text/css; charset=utf-8",
  "app.css.map": "application/json; charset=utf-8"
} as const

/** The page only talks to this origin: no inline script, no third-party anything. */
const securityHeaders = {
  "content-security-policy":
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; " +
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  // Rebuilt files take effect on the next load.
  "cache-control": "no-cache"
}

const notBuilt = HttpServerResponse.text(
  "The dashboard is not built: run `npm run build:ui` (npm start does it) and restart Signal.",
  { status: 503 }
)

/**
 * The web dashboard at `/ui`: static files built by `packages/dashboard`, read once at start, and the
 * settings the page needs. The page calls the public API with the key its user enters, so the API's
 * own authentication decides what it sees.
 */
export const route = HttpApiBuilder.Router.use((router) =>
  Effect.gen(function*() {
    const traceUrlTemplate = yield* Config.string("SIGNAL_TRACE_URL_TEMPLATE").pipe(Config.option)
    const files = new Map<string, Uint8Array>()
    for (const name of ["index.html", ...Object.keys(assets)]) {
      const content = yield* Effect.promise(() => readFile(join(assetsDir, name)).catch(() => undefined))
      if (content !== undefined) files.set(name, content)
    }
    if (!files.has("index.html")) {
      yield* Effect.logWarning(`dashboard assets missing in ${assetsDir}: run \`npm run build:ui\``)
    }
    const serve = (name: string, contentType: string) => {
      const content = files.get(name)
      return content === undefined
        ? notBuilt
        : HttpServerResponse.uint8Array(content, { contentType, headers: securityHeaders })
    }
    const page = Effect.sync(() => serve("index.html", "text/html; charset=utf-8"))
    const settings = HttpServerResponse.unsafeJson(
      { traceUrlTemplate: Option.getOrNull(traceUrlTemplate) },
      { headers: securityHeaders }
    )

    // Also answers `/ui/` (the router ignores a trailing slash).
    yield* router.get("/ui", page)
    yield* router.get("/ui/settings.json", Effect.succeed(settings))
    for (const [name, contentType] of Object.entries(assets)) {
      yield* router.get(`/ui/${name}`, Effect.sync(() => serve(name, contentType)))
    }
  })
)
