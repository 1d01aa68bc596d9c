#!/usr/bin/env bash
# The whole test suite: prepare the lab (idempotent), then, side by side, the type-check, the
# tests that need nothing but PostgreSQL, and those that need Docker or a browser one file at a
# time, against real PostgreSQL, dockerd, dind daemons and the local registry.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/lab.sh >/dev/null
# SLIPWAY_TEST_RESULTS=DIR keeps each project's JSON report (per-file times) in DIR.
if [ -n "${SLIPWAY_TEST_RESULTS:-}" ]; then
  results=$SLIPWAY_TEST_RESULTS
  mkdir -p "$results"
else
  results=$(mktemp -d)
  trap 'rm -rf "$results"' EXIT
fi
# The CLI the tests start (test/helpers/build-cli.ts finds it up to date).
node node_modules/typescript/bin/tsc -p tsconfig.build.json --outDir .test-build
# The Docker tests spend most of their time waiting on dockerd and the disk, not the CPU: the
# type-check and the PostgreSQL-only tests (one file at a time) run beside them, each printed
# whole when it ends so the logs do not interleave.
npx tsc --noEmit >"$results/typecheck.log" 2>&1 &
typecheck=$!
npx vitest run --project unit --maxWorkers=1 --passWithNoTests --reporter=default --reporter=json --outputFile.json="$results/unit.json" "$@" >"$results/unit.log" 2>&1 &
unit=$!
status=0
npx vitest run --project lab --passWithNoTests --reporter=default --reporter=json --outputFile.json="$results/lab.json" "$@" || status=$?
wait "$unit" || status=$?
cat "$results/unit.log"
if ! wait "$typecheck"; then
  echo 'The type-check failed:'
  cat "$results/typecheck.log"
  status=1
fi
# A closing line any CI can read, whatever the test runner prints.
node -e '
const fs = require("fs");
const runs = process.argv.slice(1).filter((file) => fs.existsSync(file)).map((file) => JSON.parse(fs.readFileSync(file, "utf8")));
const sum = (key) => runs.reduce((total, run) => total + run[key], 0);
console.log(`${sum("numPassedTests")} passed, ${sum("numFailedTests")} failed` + (sum("numPendingTests") ? `, ${sum("numPendingTests")} skipped` : ""));
' "$results/unit.json" "$results/lab.json" || true
exit "$status"
