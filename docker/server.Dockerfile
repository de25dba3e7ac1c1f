# vutlan-radius server image.
#   docker build -f docker/server.Dockerfile -t vutlan-radius .
#   docker run -p 1812:1812/udp -p 1813:1813/udp vutlan-radius
# The config it runs is docker/config/radiusd.yaml (copied to /app/docker/config); mount your
# own directory over /app/docker/config to replace it (relative paths are resolved from there).

# --- build: full dependencies, compile TypeScript, then drop dev dependencies --------------------
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
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
COPY docker/healthcheck.mjs ./docker/healthcheck.mjs
# Files stay root-owned and read-only for the service user; only the log and state directories
# are writable (state: what `require_message_authenticator: auto` learnt, the fingerprint key).
RUN mkdir -p /var/log/vutlan-radius /var/lib/vutlan-radius \
 && chown node:node /var/log/vutlan-radius /var/lib/vutlan-radius \
 && chmod 0700 /var/lib/vutlan-radius
VOLUME /var/lib/vutlan-radius
USER node
EXPOSE 1812/udp 1813/udp
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "docker/healthcheck.mjs"]
CMD ["node", "dist/cli/vutlan-radius.js", "serve", "-c", "docker/config/radiusd.yaml"]
