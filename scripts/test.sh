#!/usr/bin/env bash
# The whole test suite: prepare the lab (idempotent), type-check, then the tests that need
# nothing but PostgreSQL side by side, then those that need Docker or a browser one file at a
# time, against real PostgreSQL, dockerd, dind daemons and the local registry.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/lab.sh >/dev/null
# The type-check and the CLI the tests start (test/helpers/build-cli.ts, then up to date) are
# two single-threaded compilers: side by side they take the time of one.
node node_modules/typescript/bin/tsc -p tsconfig.build.json --outDir .test-build &
build=$!
npx tsc --noEmit
wait "$build"
# SLIPWAY_TEST_RESULTS=DIR keeps each project's JSON report (per-file times) in DIR.
if [ -n "${SLIPWAY_TEST_RESULTS:-}" ]; then
  results=$SLIPWAY_TEST_RESULTS
  mkdir -p "$results"
else
  results=$(mktemp -d)
  trap 'rm -rf "$results"' EXIT
fi
status=0
# --no-isolate (here and below): each worker process runs file after file, so each file's import
# of the service (about a second) is paid once per worker, not once per file. Files share no
# state but modules: each makes its own database, service and fakes; nock is cleared after each
# (test/helpers/setup.ts). (A project's own `isolate: false` is not honoured by this vitest; the flag is.)
npx vitest run --project unit --fileParallelism --maxWorkers=2 --no-isolate --passWithNoTests --reporter=default --reporter=json --outputFile.json="$results/unit.json" "$@" || status=$?
npx vitest run --project lab --no-isolate --passWithNoTests --reporter=default --reporter=json --outputFile.json="$results/lab.json" "$@" || status=$?
# A closing line any CI can read, whatever the test runner prints.
node -e '
const fs = require("fs");
const runs = process.argv.slice(1).filter((file) => fs.existsSync(file)).map((file) => JSON.parse(fs.readFileSync(file, "utf8")));
const sum = (key) => runs.reduce((total, run) => total + run[key], 0);
console.log(`${sum("numPassedTests")} passed, ${sum("numFailedTests")} failed` + (sum("numPendingTests") ? `, ${sum("numPendingTests")} skipped` : ""));
' "$results/unit.json" "$results/lab.json" || true
exit "$status"
