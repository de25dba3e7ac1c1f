# vutlan-radius server image.
#   docker build -f docker/server.Dockerfile -t vutlan-radius .
#   docker run -p 1812:1812/udp -p 1813:1813/udp \
#     -e RADIUS_CLIENTS="192.168.1.88=<secret> 10.0.0.0/24=<secret>" vutlan-radius
#   docker run -p 1812:1812/udp -p 1813:1813/udp \
#     -v /etc/vutlan-radius/clients.conf:/etc/vutlan-radius/clients.conf:ro vutlan-radius
# The image cannot know your NASes: give them at run time, as RADIUS_CLIENTS (ADDRESS=SECRET,
# IP or CIDR) or as a FreeRADIUS clients.conf mounted at /etc/vutlan-radius/clients.conf (or
# RADIUS_CLIENTS_FILE); without any, docker/entrypoint.mjs stops and says so instead of
# dropping every request. The rest of the config is docker/config/radiusd.yaml (in
# /app/docker/config): mount your own directory over it to replace it (relative paths are
# resolved from there; keep it writable, or put the clients in it). Arguments after the image
# name go to `serve` (e.g. -X).

# --- build: full dependencies, compile TypeScript, then drop dev dependencies --------------------
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
# `npm run build` also bundles the admin web UI (ui/) with scripts/build-ui.mjs
COPY scripts ./scripts
COPY ui ./ui
# `npm ci` runs the package's `prepare` script, which compiles src/ to dist/.
RUN npm ci --no-audit --no-fund \
 && npm prune --omit=dev --no-audit --no-fund

# --- runtime: only production modules, dist, dictionaries and the example config --------------
FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY dictionaries ./dictionaries
COPY docker/config ./docker/config
COPY docker/healthcheck.mjs docker/entrypoint.mjs ./docker/
# Files stay root-owned and read-only for the service user. Writable: the log and state
# directories (state: what `require_message_authenticator: auto` learnt, the fingerprint key),
# and the config directory itself (the entrypoint writes radiusd.runtime.yaml there).
RUN mkdir -p /var/log/vutlan-radius /var/lib/vutlan-radius \
 && chown node:node /var/log/vutlan-radius /var/lib/vutlan-radius /app/docker/config \
 && chmod 0700 /var/lib/vutlan-radius
VOLUME /var/lib/vutlan-radius
USER node
EXPOSE 1812/udp 1813/udp
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "docker/healthcheck.mjs"]
ENTRYPOINT ["node", "docker/entrypoint.mjs"]
CMD []
