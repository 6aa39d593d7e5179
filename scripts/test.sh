#!/usr/bin/env bash
# The full test suite: unit tests, then the API tests that drive the real kubectl against an
# in-process control plane. Prints "N passed, N failed" last.
set -euo pipefail
cd "$(dirname "$0")/.."
exec node scripts/test.mjs "$@"
