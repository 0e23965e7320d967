# A self-built peering side-car image (network.weave.peering.image): this package's CLI, run in
# each weave-net pod as `netpack peers run`. Not needed by default: the official node image runs
# the side-car script from ConfigMap weave-net-peers. Build it for kubelet_dnat, which needs
# iptables (the node image has none), or to mirror one image of your own.
#   docker build -t registry.example.com/netpack:0.1.0 .
# The same official node:24-slim image, pinned by the same digest, as src/render/node-image.ts
# (a supported LTS release); Debian slim so iptables is one apt away.

FROM docker.io/library/node:24.19.0-slim@sha256:cd84903a12dbd26b46f1f3b8144a2568c41c5d37ddd0c7a80a34c7a19786b35f AS build
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

FROM docker.io/library/node:24.19.0-slim@sha256:cd84903a12dbd26b46f1f3b8144a2568c41c5d37ddd0c7a80a34c7a19786b35f
# iptables/iptables-restore: only used with kubelet_dnat (the pod then runs as root with NET_ADMIN).
RUN apt-get update \
 && apt-get install -y --no-install-recommends iptables \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /src/package.json ./
# The production node_modules come along for the library entry (dist/index.js); the CLI bundle
# itself needs none.
COPY --from=build /src/node_modules/ ./node_modules/
# The launcher, the bundle, its code cache and the data files it reads (dist/*.json).
COPY --from=build /src/dist/ ./dist/
RUN chmod 0755 dist/netpack.cjs && ln -s /app/dist/netpack.cjs /usr/local/bin/netpack
# The node image's unprivileged user; the DaemonSet sets runAsUser itself as well.
USER 1000
EXPOSE 6788
ENTRYPOINT ["node", "dist/netpack.cjs"]
CMD ["peers", "run"]
