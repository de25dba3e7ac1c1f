# Vutlan / Sky-Control device emulator image (HTTP /engine.htm on 8080, RADIUS client).
#   docker build -f docker/device.Dockerfile -t vutlan-device .
#   docker run -p 8080:8080 vutlan-device            # runs docker/config/device-a.yaml
# Pick another config with: vutlan-device serve -c docker/config/device-b.yaml

# --- build: full dependencies, compile TypeScript, then drop dev dependencies --------------------
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
# `npm run build` also bundles the admin web UI (ui/) with scripts/build-ui.mjs
COPY scripts ./scripts
COPY ui ./ui
RUN npm ci --no-audit --no-fund \
 && npm prune --omit=dev --no-audit --no-fund

# --- runtime --------------------------------------------------------------------------------------
FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY dictionaries ./dictionaries
COPY docker/config ./docker/config
# The user database (SkyControlUsers) lives on a volume owned by the service user.
RUN mkdir -p /var/lib/vutlan-device && chown node:node /var/lib/vutlan-device
VOLUME /var/lib/vutlan-device
USER node
EXPOSE 8080/tcp
# A request without querytype must be answered with <error type="invalid request"/>.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/engine.htm',{method:'POST',body:''}).then(r=>r.text()).then(t=>process.exit(t.includes('invalid request')?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "dist/cli/vutlan-device.js"]
CMD ["serve", "-c", "docker/config/device-a.yaml"]
