#!/usr/bin/env bash
# Benchmarks: print transfer sizes and speed figures (nothing here passes or fails on time).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
source scripts/env.sh
trunk build --release >/dev/null
cargo build --release -p sim --bin pillars-sim --quiet

echo "release transfer sizes (dist/, as served; brotli -q 11, gzip -9)"
total_raw=0; total_gz=0; total_br=0
printf '  %-44s %10s %10s %10s\n' file raw gzip brotli
for f in dist/*.wasm dist/*.js dist/*.css dist/*.html; do
  raw=$(stat -c %s "$f"); gz=$(gzip -9 -c "$f" | wc -c); br=$(brotli -q 11 -c "$f" | wc -c)
  total_raw=$((total_raw + raw)); total_gz=$((total_gz + gz)); total_br=$((total_br + br))
  printf '  %-44s %10d %10d %10d\n' "$(basename "$f")" "$raw" "$gz" "$br"
done
printf '  %-44s %10d %10d %10d   (target ≤ 250 KiB = 256000 brotli)\n' TOTAL "$total_raw" "$total_gz" "$total_br"
echo

# where the wasm bytes go: twiggy on the same code with its names kept (Trunk's wasm-opt strips them)
command -v twiggy >/dev/null || cargo install twiggy --locked --quiet
names=$(mktemp -d)
wasm-bindgen --target web --out-dir "$names" target/wasm32-unknown-unknown/release/pillars-lab.wasm
twiggy top -n 1000000 -f csv "$names/pillars-lab_bg.wasm" > "$names/top.csv"
echo "where the wasm bytes go (code of a name-carrying build of the same source)"
python3 scripts/size_breakdown.py "$names/top.csv" "$(brotli -q 11 -c dist/*.wasm | wc -c)"
rm -rf "$names"
echo

port=8093
python3 scripts/serve_dist.py --port $port >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null' EXIT
sleep 0.5
(cd tools && BASE="http://127.0.0.1:$port" PILLARS_SIM="$PWD/../target/release/pillars-sim" node bench.mjs)
