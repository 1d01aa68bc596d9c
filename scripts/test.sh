#!/usr/bin/env bash
# The whole test suite: prepare the lab (idempotent), type-check, then run every test
# against real PostgreSQL, dockerd, dind daemons and the local registry.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/lab.sh >/dev/null
npx tsc --noEmit
results=$(mktemp)
trap 'rm -f "$results"' EXIT
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$results" "$@" || status=$?
# A closing line any CI can read, whatever the test runner prints.
node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""))' "$results" || true
exit "$status"
