import { fileURLToPath } from "node:url"

/** Where `npm run build:ui` writes the dashboard's static files (index.html, app.js, app.css). */
export const assetsDir: string = fileURLToPath(new URL("./dist", import.meta.url))
