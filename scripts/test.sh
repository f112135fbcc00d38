#!/usr/bin/env bash
# Sets the host up and runs the whole test suite: build, lint, unit and engine suites.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-host.sh
npm test
