# syntax=docker/dockerfile:1
#
# Signal: one image for every role. Pick the role at run time with
# SIGNAL_ROLE=all|gateway|dispatcher (default: all, with embedded Postgres
# under SIGNAL_DATA_DIR when DATABASE_URL is unset).
#
#   docker build -t ghcr.io/signal-webhooks/signal:latest .
#   docker run -p 25050:25050 ghcr.io/signal-webhooks/signal:latest
FROM node:20-slim

# tini as PID 1: forwards SIGTERM so the dispatcher hands its shards over
# quickly on shutdown, and reaps zombie processes.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Manifests first so the dependency layer is cached across source changes.
# (COPY with a glob would flatten the paths, hence one line per workspace.)
COPY package.json package-lock.json ./
COPY packages/domain/package.json packages/domain/
COPY packages/store/package.json packages/store/
COPY packages/dispatcher/package.json packages/dispatcher/
COPY packages/gateway/package.json packages/gateway/
COPY packages/server/package.json packages/server/
COPY packages/client/package.json packages/client/
COPY packages/cli/package.json packages/cli/
COPY packages/dashboard/package.json packages/dashboard/

# Dev dependencies are included on purpose: `npm start` runs the TypeScript
# sources through tsx.
RUN npm ci --no-audit --no-fund \
 && npm cache clean --force

COPY . .

# The dashboard's static files (served at /ui). `npm start` (prestart) rebuilds them, as the `node` user.
RUN npm run build:ui && chown -R node:node packages/dashboard/dist

# Embedded Postgres (no DATABASE_URL) keeps its files here; run as the
# unprivileged `node` user that the base image provides.
RUN mkdir -p /data && chown node:node /data

ENV HOST=0.0.0.0 \
    PORT=25050 \
    SIGNAL_RUNNER_PORT=34431 \
    SIGNAL_DATA_DIR=/data \
    SIGNAL_LOG_FORMAT=json

USER node

# 25050: HTTP API, /health, /ready, /metrics. 34431: cluster runner (dispatchers).
EXPOSE 25050 34431

HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 25050) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["npm", "start"]
