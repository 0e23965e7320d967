# The peering side-car image (network.weave.peering.image): this package's CLI, run in each
# weave-net pod as `netpack peers run`.
#   docker build -t docker.io/netpack/netpack:0.1.0 .
# Node 20 like the rest of netpack (package.json engines); Debian slim so iptables is one apt away.

FROM node:20-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# No lifecycle scripts yet: `prepare` builds, and the sources are not here yet.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/bundle.mjs scripts/launcher.cjs scripts/write-ahead.ts scripts/
COPY scripts/shims/ scripts/shims/
COPY src/ src/
# No code cache: it is trained against the test API server (test/), and a long-running side-car
# gains little from a faster start.
RUN npx tsc -p tsconfig.build.json \
 && node scripts/bundle.mjs --no-code-cache \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:20-slim
# iptables/iptables-restore: only used with kubelet_dnat (the pod then runs as root with NET_ADMIN).
RUN apt-get update \
 && apt-get install -y --no-install-recommends iptables \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /src/package.json ./
# @kubernetes/client-node stays outside the bundle (loaded lazily by `peers run`), so the
# production node_modules come along.
COPY --from=build /src/node_modules/ ./node_modules/
# The launcher, the bundle, its code cache and the data files it reads (dist/*.json).
COPY --from=build /src/dist/ ./dist/
RUN chmod 0755 dist/netpack.cjs && ln -s /app/dist/netpack.cjs /usr/local/bin/netpack
# The node image's unprivileged user; the DaemonSet sets runAsUser itself as well.
USER 1000
EXPOSE 6788
ENTRYPOINT ["node", "dist/netpack.cjs"]
CMD ["peers", "run"]
