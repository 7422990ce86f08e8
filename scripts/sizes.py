#!/usr/bin/env python3
"""What a reader downloads: the release site's transfer sizes, per bundle (brotli -q 11, gzip -9).

Opening any address fetches the shared files (index.html, boot script, stylesheet, the glue's
snippet, the worker script) and one bundle (its wasm-bindgen glue, its wasm and its widgets'
stylesheet): page NN's bundle for /page/NN, a widget's own bundle for /widget/<slug> and
/embed/<slug> if its page has several widgets (else its page's), page 21's for the home page,
the summary's for /summary. The worker runs the address's already-compiled module, so it costs
no second download.

    python3 scripts/sizes.py [dist]        (prints; exits non-zero only if dist/ is not a release build)
"""
import collections
import gzip
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import build_bundles  # noqa: E402  (the registry's slug -> page)

dist = sys.argv[1] if len(sys.argv) > 1 else "dist"
TARGET = 250 * 1024


def br(path):
    return len(subprocess.run(["brotli", "-q", "11", "-c", path], check=True, capture_output=True).stdout)


def gz(path):
    return len(gzip.compress(open(path, "rb").read(), 9))


files = sorted(os.listdir(dist))
bundles = collections.defaultdict(dict)
for f in files:
    m = re.fullmatch(r"pillars-lab-(.+)-[0-9a-f]{16}(_bg\.wasm|\.js)", f)
    if m:
        bundles[m.group(1)]["wasm" if m.group(2).endswith("wasm") else "glue"] = f
if not bundles:
    sys.exit("sizes: no page bundles in %s (build with `trunk build --release`)" % dist)

shared = [f for f in files if re.fullmatch(r"(index\.html|boot-.*\.js|style-(shell-)?[0-9a-f]+\.css|sim-worker\.js)", f)]
for f in files:  # a bundle's own stylesheet (its widgets' sections of style.css)
    m = re.fullmatch(r"style-(.+)-[0-9a-f]{16}\.css", f)
    if m and m.group(1) != "shell":
        bundles[m.group(1)]["css"] = f
for root, _, names in os.walk(os.path.join(dist, "snippets")):
    shared += [os.path.relpath(os.path.join(root, n), dist) for n in names]
row = "  {:<52} {:>10} {:>10} {:>10}"
print(row.format("shared by every address", "raw", "gzip", "brotli"))
shared_br = 0
for f in shared:
    p = os.path.join(dist, f)
    b = br(p)
    shared_br += b
    print(row.format(f, os.path.getsize(p), gz(p), b))
print(row.format("shared, total", "", "", shared_br))
print()
print("  {:<10} {:>12} {:>12} {:>12} {:>12} {:>16}".format("bundle", "wasm raw", "wasm brotli", "glue brotli", "css brotli",
                                                        "address total"))
totals = {}
# pages in book order, the summary, then the one-widget bundles (keyed by slug)
for key in sorted(bundles, key=lambda k: (not k.isdigit(), k != "summary", k)):
    b = bundles[key]
    w, g = os.path.join(dist, b["wasm"]), os.path.join(dist, b["glue"])
    wb, gb = br(w), br(g)
    cb = br(os.path.join(dist, b["css"])) if "css" in b else 0
    totals[key] = shared_br + wb + gb + cb
    mark = "" if totals[key] <= TARGET else "  over 250 KiB"
    print("  {:<10} {:>12} {:>12} {:>12} {:>12} {:>12.1f} KiB{}".format(
        "page " + key if key.isdigit() else key, os.path.getsize(w), wb, gb, cb, totals[key] / 1024, mark))


def span(values):
    v = sorted(values)
    return "{:.1f}–{:.1f} KiB (median {:.1f})".format(v[0] / 1024, v[-1] / 1024, v[len(v) // 2] / 1024)


pages = [v for k, v in totals.items() if k.isdigit()]
print()
print("  one address, brotli: pages {}, summary {:.1f} KiB; target ≤ 250 KiB".format(span(pages), totals.get("summary", 0) / 1024))
print("  within target: {} of {} pages".format(sum(v <= TARGET for v in pages), len(pages)))
# a widget's address and its embeds: its own bundle, or its page's when the page has no other
widget_of = {slug: slug if slug in totals else page for slug, page in build_bundles.page_of().items()}
if all(k in totals for k in widget_of.values()):
    w = [totals[k] for k in widget_of.values()]
    print("  a widget's address or embed (its own bundle, or its page's if alone there): {}; within target: {} of {} widgets"
          .format(span(w), sum(v <= TARGET for v in w), len(w)))
