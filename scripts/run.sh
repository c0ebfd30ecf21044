#!/usr/bin/env bash
# Set up (first time only) and run the cobalamin command line with the given arguments.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/cobalamin ] || bash scripts/setup.sh
exec .venv/bin/cobalamin "$@"
