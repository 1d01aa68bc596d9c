#!/usr/bin/env bash
# Shows that the service's Dockerfile builds and starts where no public registry is reachable:
# a local Node base image (the lab's Debian stand-in plus this machine's Node and npm) stands
# in for node:22-bookworm-slim; the service then runs on its embedded PostgreSQL as the
# unprivileged user and must answer /healthz. Needs the lab (scripts/lab.sh) and Node on the host.
set -euo pipefail
cd "$(dirname "$0")/.."
REGISTRY=${SLIPWAY_LAB_REGISTRY:-127.0.0.1:5000}
BASE=slipway-local/node:$(node --version | tr -d v)
IMAGE=slipway:smoke
PORT=${SMOKE_PORT:-39300}

if ! docker image inspect "$BASE" >/dev/null 2>&1; then
  context=$(mktemp -d)
  trap 'rm -rf "$context"' EXIT
  cp "$(command -v node)" "$context/node"
  cp -r "$(npm root -g)/npm" "$context/npm"
  # This machine reaches the npm registry through a proxy with its own CA; the stand-in base
  # trusts what the host trusts, as an official base image would trust the public CAs.
  cp "${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}" "$context/ca-certificates.crt"
  cat >"$context/Dockerfile" <<DOCKERFILE
FROM $REGISTRY/library/python:3.8-slim
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && node --version
DOCKERFILE
  docker build -q --network host -t "$BASE" "$context" >/dev/null
fi

docker build -q --network host --build-arg BASE_IMAGE="$BASE" -t "$IMAGE" . >/dev/null
docker rm -f slipway-smoke >/dev/null 2>&1 || true
docker run -d --name slipway-smoke --network host -e PORT="$PORT" -e SLIPWAY_EMBEDDED_PG_PORT=$((PORT + 1)) "$IMAGE" >/dev/null
trap 'docker rm -f slipway-smoke >/dev/null 2>&1 || true' EXIT
for _ in $(seq 1 120); do
  if body=$(curl -fsS "http://127.0.0.1:$PORT/healthz" 2>/dev/null); then
    echo "image $IMAGE (base $BASE) runs as $(docker exec slipway-smoke id -un); /healthz: $body"
    exit 0
  fi
  sleep 0.5
done
echo "the service did not answer /healthz; its log:" >&2
docker logs slipway-smoke 2>&1 | tail -n 30 >&2
exit 1
