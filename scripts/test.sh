#!/usr/bin/env bash
# README command 2: install what is missing (tools, Chromium, chromedriver), then run every test:
#   0. rustfmt and clippy (warnings are errors)
#   1. the core's unit, property and doc tests on the host          (cargo test -p sim)
#   2. the app's tests in headless Chromium via wasm-bindgen-test  (cargo test --target wasm32…)
#   3. the release build and a small MkDocs-Material book embedding it (another origin), and
#      Playwright end-to-end tests against both in Chromium
# Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
source scripts/env.sh
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

cargo fetch --quiet

step "format and lints"
cargo fmt --all -- --check
cargo clippy --quiet -p sim --all-targets -- -D warnings
cargo clippy --quiet --target wasm32-unknown-unknown -p pillars-lab --bins --lib --tests -- -D warnings
# the release bundles' two kinds of feature set: one page's code, and every model without views
for features in page-21 summary; do
  cargo clippy --quiet --target wasm32-unknown-unknown -p pillars-lab --bins --lib --no-default-features --features "$features" -- -D warnings
done

step "core: unit, property and doc tests (host)"
cargo test -p sim --release

step "app: wasm-bindgen tests in headless Chromium"
cargo test --target wasm32-unknown-unknown -p pillars-lab

step "release build (trunk) and the native CLI"
trunk build --release
cargo build --release -p sim --bin pillars-sim

step "the test book: a real MkDocs-Material site embedding widgets (tests/book)"
rm -rf test-results/book
NO_MKDOCS_2_WARNING=1 tools/.venv/bin/mkdocs build --quiet -f tests/book/mkdocs.yml -d "$PWD/test-results/book"

step "end-to-end: Playwright in Chromium against the release build and the book"
ln -sfn ../../tools/node_modules tests/e2e/node_modules
playwright test -c tests/e2e
