# syntax=docker/dockerfile:1
#
# Signal: one image for every role, chosen at run time with SIGNAL_ROLE=all|gateway|dispatcher.
# It holds production dependencies and the compiled JavaScript only, and runs `node` as an
# unprivileged user under tini.
#
#   docker build -t ghcr.io/signal-webhooks/signal:0.1.0 .
#   docker run --rm -p 25050:25050 \
#     -e SIGNAL_ADMIN_KEY="$(openssl rand -hex 24)" \
#     -e DATABASE_URL=postgres://signal:signal@db.example.internal:5432/signal \
#     ghcr.io/signal-webhooks/signal:0.1.0
#
# The image binds 0.0.0.0, so it refuses to start without SIGNAL_ADMIN_KEY (16+ characters).
# Without DATABASE_URL it runs an embedded Postgres in /data (a volume; fine for a trial only).
# Apply migrations on their own before rolling out a new version:
#   docker run --rm -e DATABASE_URL=… ghcr.io/signal-webhooks/signal:0.1.0 migrate

ARG NODE_IMAGE=node:24-bookworm-slim

# --- build: every dependency, type-check, emit packages/*/dist -------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Manifests first so the dependency layer is cached across source changes
# (COPY with a glob would flatten the paths, hence one line per workspace).
COPY package.json package-lock.json ./
COPY packages/domain/package.json packages/domain/
COPY packages/store/package.json packages/store/
COPY packages/dispatcher/package.json packages/dispatcher/
COPY packages/gateway/package.json packages/gateway/
COPY packages/server/package.json packages/server/
COPY packages/client/package.json packages/client/
COPY packages/cli/package.json packages/cli/
COPY packages/dashboard/package.json packages/dashboard/
RUN npm ci --no-audit --no-fund
COPY tsconfig.base.json ./
COPY scripts scripts
COPY packages packages
# Type-checks the packages (with their tests) and emits packages/*/dist; test/ and bench/ stay out.
RUN npm run build -- --clean

# --- deps: production dependencies only ------------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/packages/domain/package.json packages/domain/
COPY --from=build /app/packages/store/package.json packages/store/
COPY --from=build /app/packages/dispatcher/package.json packages/dispatcher/
COPY --from=build /app/packages/gateway/package.json packages/gateway/
COPY --from=build /app/packages/server/package.json packages/server/
COPY --from=build /app/packages/client/package.json packages/client/
COPY --from=build /app/packages/cli/package.json packages/cli/
COPY --from=build /app/packages/dashboard/package.json packages/dashboard/
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# --- runtime ---------------------------------------------------------------------------------
FROM ${NODE_IMAGE}
# tini as PID 1 forwards SIGTERM to node (the dispatcher then hands its shards over within
# seconds) and reaps zombies.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=deps /app /app
COPY --from=build /app/packages/domain/dist packages/domain/dist
COPY --from=build /app/packages/store/dist packages/store/dist
COPY --from=build /app/packages/dispatcher/dist packages/dispatcher/dist
COPY --from=build /app/packages/gateway/dist packages/gateway/dist
COPY --from=build /app/packages/server/dist packages/server/dist
COPY --from=build /app/packages/client/dist packages/client/dist
COPY --from=build /app/packages/cli/dist packages/cli/dist
COPY --from=build /app/packages/cli/bin packages/cli/bin
COPY --from=build /app/packages/dashboard/dist packages/dashboard/dist
# Embedded Postgres (no DATABASE_URL) keeps its files here; `node` (uid 1000) comes with the base image.
RUN mkdir -p /data && chown node:node /data

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=25050 \
    SIGNAL_RUNNER_PORT=34431 \
    SIGNAL_DATA_DIR=/data \
    SIGNAL_LOG_FORMAT=json

USER node
VOLUME ["/data"]

# 25050: HTTP API (gateway), /health, /ready, /metrics (every role). 34431: cluster runner (dispatchers).
EXPOSE 25050 34431

HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 25050) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# `docker run IMAGE migrate` (or any other `signal` command) replaces `start`.
ENTRYPOINT ["/usr/bin/tini", "--", "node", "packages/server/dist/main.js"]
CMD ["start"]
