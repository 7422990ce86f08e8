#!/usr/bin/env bash
# Benchmarks: print transfer sizes and speed figures (nothing here passes or fails on time).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
source scripts/env.sh
trunk build --release >/dev/null
cargo build --release -p sim --bin pillars-sim --quiet

echo "release transfer sizes (dist/, as served, per address: the shared files plus one page's bundle)"
python3 scripts/sizes.py dist
echo

# where the wasm bytes go: twiggy on the name-carrying cargo output of the largest page bundle
# and of the summary's (Trunk's and our wasm-opt strip the names)
command -v twiggy >/dev/null || cargo install twiggy --locked --quiet
for key in $(python3 - <<'PY'
import os, re, subprocess
sizes = {}
for f in os.listdir("dist"):
    m = re.fullmatch(r"pillars-lab-(\d+)-[0-9a-f]+_bg\.wasm", f)
    if m:
        sizes[m.group(1)] = os.path.getsize(os.path.join("dist", f))
print(max(sizes, key=sizes.get), "summary")
PY
); do
  names=$(mktemp -d)
  wasm-bindgen --target web --out-dir "$names" --out-name b "target/bundles/$key.wasm"
  twiggy top -n 1000000 -f csv "$names/b_bg.wasm" > "$names/top.csv"
  shipped=$(ls dist/pillars-lab-"$key"-*_bg.wasm)
  echo "where the wasm bytes go: bundle $key (code of a name-carrying build of the same source)"
  python3 scripts/size_breakdown.py "$names/top.csv" "$(brotli -q 11 -c "$shipped" | wc -c)"
  rm -rf "$names"
  echo
done

port=8093
python3 scripts/serve_dist.py --port $port --no-store >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null' EXIT
sleep 0.5
(cd tools && BASE="http://127.0.0.1:$port" PILLARS_SIM="$PWD/../target/release/pillars-sim" node bench.mjs)
