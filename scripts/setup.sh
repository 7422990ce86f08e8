#!/usr/bin/env bash
# Installs everything the site build needs, and with --test everything the tests need.
# Idempotent: a second run finds every tool at its pinned version and installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

TRUNK_VERSION=0.22.1
WASM_BINDGEN_VERSION=0.2.130   # must equal the `=` pin in Cargo.toml and [tools] in Trunk.toml
BINARYEN_VERSION=132.0.0       # wasm-opt; Trunk.toml says version_132
MKDOCS_MATERIAL_VERSION=9.8.2  # the book's theme, for the embed tests

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
export PATH="$HOME/.cargo/bin:$PATH"

# (each check captures the tool's output first: `tool | grep -q` can kill the tool with SIGPIPE,
# which pipefail reports as a failed check)
targets=$(rustup target list --installed 2>/dev/null || true)
if ! grep -qx wasm32-unknown-unknown <<<"$targets"; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

have=$(trunk --version 2>/dev/null || true)
if [ "$have" != "trunk $TRUNK_VERSION" ]; then
  say "installing trunk $TRUNK_VERSION (takes several minutes)"
  cargo install --locked trunk --version "$TRUNK_VERSION" --ignore-rust-version
fi

have=$(wasm-bindgen --version 2>/dev/null || true)
if [ "$have" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  # not --locked: the registry here lacks one of its pinned dependency versions
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

# npm tools (wasm-opt from binaryen, Playwright) live in tools/node_modules
if [ ! -x tools/node_modules/.bin/wasm-opt ] || [ ! -x tools/node_modules/.bin/esbuild ] || [ tools/package-lock.json -nt tools/node_modules/.stamp ]; then
  say "installing npm tools (binaryen, esbuild, playwright)"
  (cd tools && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.stamp)
fi

if [ "$want_test" = 1 ]; then
  have=$(tools/.venv/bin/pip show mkdocs-material 2>/dev/null | sed -n 's/^Version: //p' || true)
  if [ "$have" != "$MKDOCS_MATERIAL_VERSION" ]; then
    say "installing mkdocs-material $MKDOCS_MATERIAL_VERSION (in tools/.venv)"
    python3 -m venv tools/.venv
    tools/.venv/bin/pip install --quiet --disable-pip-version-check "mkdocs-material==$MKDOCS_MATERIAL_VERSION"
  fi
  need=()
  command -v chromium >/dev/null || need+=(chromium)
  command -v chromedriver >/dev/null || need+=(chromium-driver)
  command -v brotli >/dev/null || need+=(brotli)
  if [ ${#need[@]} -gt 0 ]; then
    say "installing ${need[*]} from Debian"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
  fi
fi
say "tools ready"
