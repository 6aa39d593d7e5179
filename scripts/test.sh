#!/usr/bin/env bash
# The full test suite: unit tests, API tests that drive the real kubectl against an in-process
# control plane, and end-to-end tests that create clusters in Docker (they need dist/minicluster
# and a Docker engine: both are made sure of here). Prints "N passed, N failed" last.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x dist/minicluster ]; then
  echo "test: dist/minicluster is missing; building it"
  npm run --silent build
fi
./scripts/docker-engine.sh >/dev/null
exec node scripts/test.mjs "$@"
