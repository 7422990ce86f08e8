#!/usr/bin/env bash
# README command 1: install what is missing, then build and serve the site on
# http://127.0.0.1:8080 with live reload. Extra arguments go to `trunk serve` (e.g. --release).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
source scripts/env.sh
cargo fetch --quiet
# tells the post-build hook to let Trunk's inline live-reload client past the CSP
export PILLARS_DEV_SERVER=1
exec trunk serve --address 127.0.0.1 --port "${PORT:-8080}" "$@"
