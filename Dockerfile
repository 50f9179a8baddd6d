# The Parley image: one image for every role (`router`, `gateway`, `operator`), picked by
# the command's argument. Build with `make image` (docker or podman).
#
# test/build/dockerfile.test.ts replays these steps on the build output (no container
# engine runs on CI) and refuses a RUN it does not know: change both together.

# Node.js 24 LTS (supported to April 2028). The code also runs on Node 20.19+ and 26.
ARG NODE_IMAGE=node:24-bookworm-slim

# --- build: TypeScript to JavaScript (dist/) ---------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src src
COPY cmd cmd
COPY operator operator
RUN npm run build
# The web app (served at /app/) and the web-messaging widget (/web/v1/widget.js), built
# into dist/web: the image serves them without a CDN.
COPY web web
RUN npm run build:app
RUN npm run build:widget

# --- deps: production dependencies only ----------------------------------------------
# No devDependencies (typescript, tsx, vitest…) and no optionalDependencies: PGlite, the
# embedded database of `parley up`, is optional and not in the image (docs/operations.md).
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund

# --- runtime ---------------------------------------------------------------------------
FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps \
    PARLEY_HOST=0.0.0.0
WORKDIR /app
# Owned by root and not writable by the process: the pods run with a read-only root
# filesystem, and nothing under /app is ever written.
COPY package.json ./
COPY --from=deps /app/node_modules node_modules
COPY bin bin
COPY --from=build /app/dist dist
# Not the base image's `node` (1000): the uid the chart's securityContext names.
USER 10001:10001
# 8080: the gateway's API; 9090: /metrics, /healthz and /readyz of every role (PARLEY_OPS_PORT).
EXPOSE 8080 9090
# For docker and compose; Kubernetes ignores it and uses the chart's probes.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PARLEY_OPS_PORT || 9090) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# bin/parley.js runs dist/src/cli/main.js: the image has no TypeScript sources and no tsx.
ENTRYPOINT ["node", "bin/parley.js"]
CMD ["--help"]
