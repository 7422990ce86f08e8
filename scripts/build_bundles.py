#!/usr/bin/env python3
"""Release only: build the web app once per book page, and once for the summary.

One wasm module for the whole site would make every reader download all 28 widgets to see one.
Instead the release site ships a bundle per page (cargo feature `page-NN`: the shell plus that
page's models and views) and one for the summary (`summary`: every model, no view), and the
boot script loads the one the address needs (see `src/chrome/bundle.rs` for what happens when a
link leads to another bundle's page). The home page and unknown addresses use page 21's bundle.

Called by scripts/trunk_post_build.py for `trunk build --release` / `trunk serve --release`:

    build(stage_dir) -> {"bundles": {key: [glue, wasm]}, "page_of": {slug: key}, "default": "21"}

Each bundle is `cargo build` with its features, then wasm-bindgen and wasm-opt -Oz (the same
steps Trunk takes for its own build), esbuild --minify on the glue and short import names
(scripts/short_imports.py), in two lanes at once. Post-processed files are cached under
target/bundles by the hash of cargo's output,
so a rebuild with no change costs cargo's freshness checks only.
"""
import concurrent.futures
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys

import short_imports

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
PAGES = [str(n) for n in range(21, 33)]
KEYS = PAGES + ["summary"]
DEFAULT = "21"
# the wasm features Rust's wasm32-unknown-unknown target uses; wasm-opt must accept them
WASM_OPT_FEATURES = ["--enable-bulk-memory", "--enable-nontrapping-float-to-int", "--enable-sign-ext",
                     "--enable-mutable-globals", "--enable-reference-types", "--enable-multivalue"]


def feature(key):
    return "summary" if key == "summary" else "page-" + key


def page_of():
    """slug -> page, from the registry's lines (rustfmt keeps `slug:` and `page:` adjacent)."""
    src = open(os.path.join(ROOT, "crates", "sim", "src", "registry.rs"), encoding="utf-8").read()
    found = re.findall(r'slug: "([a-z0-9-]+)",\s*page: (\d+),', src)
    lines = src.count("\n    Widget {\n")
    if len(found) != lines or not found:
        sys.exit(f"build_bundles: read {len(found)} widgets' pages from registry.rs's {lines} lines")
    return {slug: page for slug, page in found}


def split_css(text, pages):
    """The stylesheet's shell part and, per bundle key, the sections of that bundle's widgets.

    A section starts at a comment line naming a registered widget (`/* cache */`) or the summary
    (`/* summary: … */`) and ends at its `/* end <name> */` line or the next section's start;
    everything outside sections is the shell's, sent to every address."""
    shell, per_key, key = [], {}, None
    for line in text.splitlines(keepends=True):
        t = line.strip()
        end = re.fullmatch(r"/\* end ([a-z0-9-]+) \*/", t)
        start = re.fullmatch(r"/\* ([a-z0-9-]+)(?::[^*]*)? \*/", t)
        if end and key is not None:
            key = None
        elif start and (start.group(1) in pages or start.group(1) == "summary"):
            key = pages.get(start.group(1), "summary")
        elif key is None:
            shell.append(line)
        else:
            per_key.setdefault(key, []).append(line)
    return "".join(shell), {k: "".join(v) for k, v in per_key.items()}


def minify(text, loader):
    """esbuild --minify on `text` (loader "css" or "js"; js as an ES module)."""
    esm = ["--format=esm"] if loader == "js" else []
    return subprocess.run(["esbuild", "--minify", "--loader=" + loader, *esm, "--log-level=warning"],
                          input=text, capture_output=True, text=True, check=True).stdout


def write_css(stage):
    """Write the shell stylesheet and each bundle's widget stylesheet (minified, hashed names):
    (shell file, {key: file})."""
    pages = page_of()
    shell, per_key = split_css(open(os.path.join(ROOT, "www", "style.css"), encoding="utf-8").read(), pages)

    def put(prefix, text):
        return write_hashed(stage, prefix, ".css", minify(text, "css"))

    return put("style-shell", shell), {k: put("style-" + k, v) for k, v in sorted(per_key.items()) if v.strip()}


def write_hashed(stage, prefix, ext, body):
    """Write `body` to `<prefix>-<hash of body><ext>` in `stage`; returns the file name."""
    name = "%s-%s%s" % (prefix, hashlib.sha256(body.encode()).hexdigest()[:16], ext)
    with open(os.path.join(stage, name), "w", encoding="utf-8") as f:
        f.write(body)
    return name


def sha(path, n=16):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:n]


def post_process(key, wasm, cache_root):
    """wasm-bindgen + wasm-opt, cached by the input's hash. Returns the cache directory."""
    out = os.path.join(cache_root, key, sha(wasm) + "-short")
    name = "pillars-lab-" + key
    if os.path.exists(os.path.join(out, "done")):
        return out
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    subprocess.run(["wasm-bindgen", "--target", "web", "--no-typescript", "--out-dir", out,
                    "--out-name", name, wasm], check=True)
    bg = os.path.join(out, name + "_bg.wasm")
    subprocess.run(["wasm-opt", "-Oz", *WASM_OPT_FEATURES, bg, "-o", bg + ".opt"], check=True)
    os.replace(bg + ".opt", bg)
    glue = os.path.join(out, name + ".js")
    subprocess.run(["esbuild", glue, "--minify", "--format=esm", "--log-level=warning",
                    "--outfile=" + glue + ".min"], check=True)
    os.replace(glue + ".min", glue)
    short_imports.shorten(bg, glue, f"./{name}_bg.js")
    open(os.path.join(out, "done"), "w").close()
    return out


def build_lane(keys, target, cache_root):
    """Compile `keys` one after another in one cargo target dir; post-process each."""
    built = os.path.join(target, "wasm32-unknown-unknown", "release", "pillars-lab.wasm")
    out = {}
    for key in keys:
        print(f"build_bundles: {key}", file=sys.stderr, flush=True)
        subprocess.run(["cargo", "build", "--release", "--quiet", "--target", "wasm32-unknown-unknown",
                        "-p", "pillars-lab", "--bin", "pillars-lab", "--no-default-features",
                        "--features", feature(key)], check=True, cwd=ROOT,
                       env={**os.environ, "CARGO_TARGET_DIR": target})
        keep = os.path.join(cache_root, key + ".wasm")  # the next build overwrites cargo's output
        shutil.copyfile(built, keep)
        out[key] = post_process(key, keep, cache_root)
    return out


def build(stage):
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
    cache_root = os.path.join(target, "bundles")
    os.makedirs(cache_root, exist_ok=True)
    # Each link is one long single-threaded LTO job: two lanes, each with its own target dir
    # (cargo locks one), keep both cores busy. The first lane reuses Trunk's target dir.
    lanes = [(KEYS[0::2], target), (KEYS[1::2], os.path.join(target, "bundle-lane"))]
    done = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(lanes)) as pool:
        for result in pool.map(lambda lane: build_lane(lane[0], lane[1], cache_root), lanes):
            done.update(result)
    bundles = {}
    for key in KEYS:
        out, name = done[key], "pillars-lab-" + key
        glue, wasm = os.path.join(out, name + ".js"), os.path.join(out, name + "_bg.wasm")
        h = sha(wasm)
        files = [f"{name}-{h}.js", f"{name}-{h}_bg.wasm"]
        shutil.copyfile(glue, os.path.join(stage, files[0]))
        shutil.copyfile(wasm, os.path.join(stage, files[1]))
        snippets = os.path.join(out, "snippets")
        if os.path.isdir(snippets):
            shutil.copytree(snippets, os.path.join(stage, "snippets"), dirs_exist_ok=True)
        bundles[key] = files
    pages = page_of()
    return {"bundles": bundles, "page_of": {slug: p for slug, p in pages.items() if p in bundles},
            "default": DEFAULT}


if __name__ == "__main__":
    print(json.dumps(build(sys.argv[1] if len(sys.argv) > 1 else "dist"), indent=1))
