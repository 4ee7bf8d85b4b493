// Bundles the dashboard into dist/ (index.html, app.js, app.css): what the gateway serves at /ui.
// esbuild only: no dev server, no CDN, nothing fetched at run time. Takes well under a second.
import * as esbuild from "esbuild"
import { copyFile, mkdir } from "node:fs/promises"
import { fileURLToPath } from "node:url"

const here = (path) => fileURLToPath(new URL(path, import.meta.url))

export const buildDashboard = async () => {
  await mkdir(here("./dist"), { recursive: true })
  await esbuild.build({
    entryPoints: { app: here("./app/main.tsx") },
    outdir: here("./dist"),
    bundle: true,
    format: "esm",
    target: ["es2022"],
    minify: true,
    sourcemap: "linked",
    jsx: "automatic",
    jsxImportSource: "preact",
    legalComments: "none",
    logLevel: "warning"
  })
  await copyFile(here("./app/index.html"), here("./dist/index.html"))
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildDashboard()
