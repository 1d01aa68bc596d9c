#!/usr/bin/env bash
# The whole test suite: prepare the lab (idempotent), type-check, then run every test
# against real PostgreSQL, dockerd, dind daemons and the local registry.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/lab.sh >/dev/null
npx tsc --noEmit
npx vitest run "$@"
