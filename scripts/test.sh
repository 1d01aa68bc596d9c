#!/usr/bin/env bash
# The whole test suite: prepare the lab (idempotent), then, side by side, the type-check, the
# tests that need nothing but PostgreSQL (one file at a time, beside the Docker ones), and the
# tests that need Docker or a browser (one file at a time), against real PostgreSQL, dockerd,
# dind daemons and the local registry. Arguments go to both vitest runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/lab.sh >/dev/null
# The CLI the tests start as a process, compiled once before the two runs could both start to.
node --import tsx -e "await (await import('./test/helpers/build-cli.ts')).default()"
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
npx tsc --noEmit >"$results/tsc.log" 2>&1 &
tsc=$!
npx vitest run --project unit --passWithNoTests --reporter=default --reporter=json --outputFile.json="$results/unit.json" "$@" >"$results/unit.log" 2>&1 &
unit=$!
status=0
npx vitest run --project lab --passWithNoTests --reporter=default --reporter=json --outputFile.json="$results/lab.json" "$@" || status=$?
wait "$unit" || status=$?
cat "$results/unit.log"
wait "$tsc" || { status=1; echo "Type errors:"; }
cat "$results/tsc.log"
# A closing line any CI can read, whatever the test runner prints.
node -e '
const fs = require("fs");
const runs = process.argv.slice(1).filter((file) => fs.existsSync(file)).map((file) => JSON.parse(fs.readFileSync(file, "utf8")));
const sum = (key) => runs.reduce((total, run) => total + run[key], 0);
console.log(`${sum("numPassedTests")} passed, ${sum("numFailedTests")} failed` + (sum("numPendingTests") ? `, ${sum("numPendingTests")} skipped` : ""));
' "$results/unit.json" "$results/lab.json" || true
exit "$status"
