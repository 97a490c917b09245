#!/usr/bin/env bash
# The long runs of the reliability tests (docs/reliability.md), which CI runs short: 100,000 fuzzed bodies per
# generator and dialect (import bodies, PATCH bodies, list queries) and 20 SIGKILLs of a serve process per
# dialect, and `medialib import --files` of 10,000 generated JPEGs per dialect. Each test's timeout grows with
# its count (test/helpers/long-runs.ts); each prints its figures.
#
#   MEDIALIB_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres npm run test:long
#   MEDIALIB_FUZZ_RUNS=5000 MEDIALIB_CRASH_LOOPS=5 MEDIALIB_FILES_COUNT=2000 npm run test:long     # other counts
set -euo pipefail
cd "$(dirname "$0")/.."
export MEDIALIB_FUZZ_RUNS="${MEDIALIB_FUZZ_RUNS:-100000}"
export MEDIALIB_CRASH_LOOPS="${MEDIALIB_CRASH_LOOPS:-20}"
export MEDIALIB_FILES_COUNT="${MEDIALIB_FILES_COUNT:-10000}"

# crash-safety starts `medialib serve` from dist/.
npm run build >/dev/null
echo "== $MEDIALIB_FUZZ_RUNS fuzzed bodies per generator and dialect, $MEDIALIB_CRASH_LOOPS kills per dialect, $MEDIALIB_FILES_COUNT files per dialect"
echo "== start $(date -u +%FT%TZ), load average $(uptime | sed 's/.*load average: //')"
start=$(date +%s)
status=0
npx vitest run --reporter=verbose \
  test/e2e/import-fuzz.test.ts test/e2e/fuzz-patch-list.test.ts test/e2e/crash-safety.test.ts \
  test/e2e/cli-import-files.test.ts || status=$?
echo "== wall time $(($(date +%s) - start)) s, load average $(uptime | sed 's/.*load average: //'), exit $status"
exit "$status"
