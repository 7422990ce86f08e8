#!/usr/bin/env python3
"""Where the wasm bytes go: groups `twiggy top` rows of a name-carrying build of the app into
the shared runtime (yew, std, serde_json, …), the app's chrome and pages, and each widget (its
view plus its model), and prints each group's share of the code.

Usage: scripts/size_breakdown.py <twiggy-top.csv> <brotli bytes of the shipped wasm>

Brotli does not split by function, so the brotli column is the group's share of the code
applied to the shipped file's brotli size: an estimate, good for comparing groups."""
import collections
import csv
import re
import sys

rows = list(csv.DictReader(open(sys.argv[1])))
shipped_br = int(sys.argv[2])
groups = collections.Counter()
for r in rows:
    name, size = r["Name"], int(r["ShallowSize"])
    if "function names" in name or name.startswith("custom section"):
        continue  # the shipped file carries no names
    m = re.search(r"pillars_lab::widgets::(?!not_here)(\w+)|sim::models::(\w+)", name)
    if m:
        groups["widget " + (m.group(1) or m.group(2)).replace("_", "-")] += size
    elif "pillars_lab::" in name or "worker_handle" in name or "not_here" in name:
        groups["app: chrome, pages, shell"] += size
    elif re.match(r"^<?(&mut )?sim::", name):
        groups["core: registry, params, rng, stats"] += size
    elif name.startswith('data segment'):
        groups["data (strings, tables)"] += size
    else:
        crate = re.match(r"^<?(?:&mut |&)?\[?([a-z_][a-z0-9_]*)", name)
        c = crate.group(1) if crate else "other"
        if c in ("yew", "yew_router", "gloo_history", "gloo", "route_recognizer", "implicit_clone"):
            groups["runtime: yew + router"] += size
        elif c in ("serde_json", "serde_core", "serde", "serde_wasm_bindgen", "zmij", "itoa", "ryu", "indexmap", "hashbrown"):
            groups["runtime: serde, json, maps"] += size
        elif c in ("plotters", "plotters_canvas", "plotters_backend"):
            groups["runtime: plotters"] += size
        elif c in ("wasm_bindgen", "js_sys", "web_sys"):
            groups["runtime: wasm-bindgen, js-sys, web-sys"] += size
        else:
            groups["runtime: core, alloc, std, libm, other"] += size
total = sum(groups.values())
widgets = sorted((k for k in groups if k.startswith("widget ")), key=lambda k: -groups[k])
others = sorted((k for k in groups if not k.startswith("widget ")), key=lambda k: -groups[k])
print(f"  {'group':44} {'code bytes':>11} {'share':>7} {'≈ brotli':>9}")
for k in others + widgets:
    v = groups[k]
    print(f"  {k:44} {v:11d} {100 * v / total:6.1f}% {v / total * shipped_br / 1024:7.1f} KiB")
w = sum(groups[k] for k in widgets)
print(f"  {'all widgets (views + models), ' + str(len(widgets)) + ' of them':44} {w:11d} {100 * w / total:6.1f}% {w / total * shipped_br / 1024:7.1f} KiB")
print("  (generic code a widget instantiates in yew/serde/core is counted under the runtime)")
