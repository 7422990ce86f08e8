#!/usr/bin/env python3
"""Release only: build the web app once per book page, once per widget of a page with several,
and once for the summary.

One wasm module for the whole site would make every reader download all 28 widgets to see one.
Instead the release site ships a bundle per page (cargo feature `page-NN`: the shell plus that
page's models and views), a bundle per widget of a page with several (its page's feature and
`PILLARS_ONE_WIDGET=<slug>`: the shell plus that one widget, for its own address and its embeds,
so a book page embedding one widget does not download its four neighbours), and one for the
summary (`summary`: every model, no view). The boot script loads the one the address needs (see
`src/chrome/bundle.rs` for what happens when a link leads to another bundle's page). The home
page and unknown addresses use page 21's bundle.

Called by scripts/trunk_post_build.py for `trunk build --release` / `trunk serve --release`:

    build(stage_dir) -> {"bundles": {key: [glue, wasm]}, "page_of": {slug: key}, "default": "21"}

Each bundle is `cargo build` with its features, then wasm-bindgen and wasm-opt -Oz (the same
steps Trunk takes for its own build), esbuild --minify on the glue and short import names
(scripts/short_imports.py), in two lanes at once. Each bundle's wasm is kept under
target/bundles with the hash of the sources it was built from, and its post-processed files by
the hash of that wasm, so a rebuild with no change runs neither cargo nor the tools.
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
DEFAULT = "21"
# the wasm features Rust's wasm32-unknown-unknown target uses; wasm-opt must accept them
WASM_OPT_FEATURES = ["--enable-bulk-memory", "--enable-nontrapping-float-to-int", "--enable-sign-ext",
                     "--enable-mutable-globals", "--enable-reference-types", "--enable-multivalue"]


def one_widget_slugs(pages):
    """The widgets that get a bundle of their own: those of pages with more than one widget (a
    page with one widget is its widget's bundle already)."""
    count = {}
    for page in pages.values():
        count[page] = count.get(page, 0) + 1
    return [slug for slug, page in pages.items() if count[page] > 1]


def keys(pages):
    """Every bundle's key, in build order: the pages, the summary, then the one-widget bundles
    (keyed by their slug; a slug is never a page number or "summary")."""
    return PAGES + ["summary"] + one_widget_slugs(pages)


def cargo_args(key, pages):
    """(features, extra environment) of bundle `key`'s cargo build."""
    if key == "summary":
        return "summary", {}
    if key in PAGES:
        return "page-" + key, {}
    return "page-" + pages[key], {"PILLARS_ONE_WIDGET": key}


def page_of():
    """slug -> page, from the registry's lines (rustfmt keeps `slug:` and `page:` adjacent)."""
    src = open(os.path.join(ROOT, "crates", "sim", "src", "registry.rs"), encoding="utf-8").read()
    found = re.findall(r'slug: "([a-z0-9-]+)",\s*page: (\d+),', src)
    lines = src.count("\n    Widget {\n")
    if len(found) != lines or not found:
        sys.exit(f"build_bundles: read {len(found)} widgets' pages from registry.rs's {lines} lines")
    return {slug: page for slug, page in found}


def split_css(text, pages):
    """The stylesheet's shell part and, per bundle key, the sections of that bundle's widgets:
    a page's bundle gets its widgets' sections, a one-widget bundle its widget's, the summary's
    its own.

    A section starts at a comment line naming a registered widget (`/* cache */`) or the summary
    (`/* summary: … */`) and ends at its `/* end <name> */` line or the next section's start;
    everything outside sections is the shell's, sent to every address."""
    own = set(one_widget_slugs(pages))
    shell, per_key, keys_now = [], {}, None
    for line in text.splitlines(keepends=True):
        t = line.strip()
        end = re.fullmatch(r"/\* end ([a-z0-9-]+) \*/", t)
        start = re.fullmatch(r"/\* ([a-z0-9-]+)(?::[^*]*)? \*/", t)
        if end and keys_now is not None:
            keys_now = None
        elif start and start.group(1) == "summary":
            keys_now = ["summary"]
        elif start and start.group(1) in pages:
            name = start.group(1)
            keys_now = [pages[name]] + ([name] if name in own else [])
        elif keys_now is None:
            shell.append(line)
        else:
            for key in keys_now:
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


def model_deps():
    """model module -> the other model modules its source names (`super::x`, `models::x`)."""
    models = os.path.join(ROOT, "crates", "sim", "src", "models")
    names = {f[:-3] for f in os.listdir(models) if f.endswith(".rs") and f != "mod.rs"}
    deps = {}
    for name in names:
        src = open(os.path.join(models, name + ".rs"), encoding="utf-8").read()
        deps[name] = {m for m in re.findall(r"\b(?:super|models)::([a-z_]+)", src) if m in names and m != name}
    return deps


def allowed_models(key, pages, deps):
    """The model modules bundle `key` may link: its widgets' and what those use, transitively."""
    if key == "summary":
        return set(deps)
    todo = [s.replace("-", "_") for s, p in pages.items() if (p == key if key in PAGES else s == key)]
    seen = set()
    while todo:
        m = todo.pop()
        if m not in seen:
            seen.add(m)
            todo += deps.get(m, ())
    return seen


def linked_models(wasm):
    """The model modules whose functions cargo's (name-carrying) output links: from the mangled
    names `…3sim6models<len><module>…` in its name section."""
    data = open(wasm, "rb").read()
    return {data[m.end():m.end() + int(m.group(1))].decode() for m in re.finditer(rb"3sim6models(\d+)", data)}


def check_models(key, wasm, pages, deps):
    """Stop the build if bundle `key` links a model it does not carry: one run-time read of the
    whole registry is enough to link every model into every bundle, and nothing else would
    notice but the sizes."""
    extra = (linked_models(wasm) & set(deps)) - allowed_models(key, pages, deps)
    if extra:
        sys.exit(f"build_bundles: bundle {key} links models it does not carry: {sorted(extra)}")


def sources_hash():
    """A hash of everything a bundle's cargo build reads that can change here: the Rust sources,
    the manifests and lock file, the compiler, and the build's environment variables."""
    h = hashlib.sha256()
    h.update(subprocess.run(["rustc", "-vV"], capture_output=True, check=True).stdout)
    for var in sorted(os.environ):
        if var in ("RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS") or var.startswith("CARGO_PROFILE_"):
            h.update(f"{var}={os.environ[var]}\0".encode())
    paths = [os.path.join(ROOT, f) for f in ("Cargo.toml", "Cargo.lock", ".cargo/config.toml")
             if os.path.exists(os.path.join(ROOT, f))]
    for top in ("src", "crates"):
        for root, dirs, names in os.walk(os.path.join(ROOT, top)):
            dirs[:] = sorted(d for d in dirs if d != "target")
            paths += [os.path.join(root, n) for n in sorted(names)]
    for path in paths:
        h.update(os.path.relpath(path, ROOT).encode() + b"\0")
        with open(path, "rb") as f:
            h.update(f.read())
    return h.hexdigest()


def build_lane(lane, target, cache_root, pages, sources, deps):
    """Compile the bundles `lane` one after another in one cargo target dir; post-process each.

    A page's bundle and its widgets' own bundles share cargo's artifacts (the same features; the
    one-widget variable is not part of cargo's artifact names), so each build replaces the last
    one's. A bundle whose sources, features and variable are unchanged since its last build is
    therefore taken from target/bundles without asking cargo at all."""
    built = os.path.join(target, "wasm32-unknown-unknown", "release", "pillars-lab.wasm")
    out = {}
    for key in lane:
        features, extra = cargo_args(key, pages)
        keep = os.path.join(cache_root, key + ".wasm")  # the next build overwrites cargo's output
        stamp = os.path.join(cache_root, key + ".sources")
        want = f"{sources} {features} {sorted(extra.items())}"
        if not (os.path.exists(keep) and os.path.exists(stamp) and open(stamp).read() == want):
            print(f"build_bundles: {key}", file=sys.stderr, flush=True)
            env = {k: v for k, v in os.environ.items() if k != "PILLARS_ONE_WIDGET"}
            subprocess.run(["cargo", "build", "--release", "--quiet", "--target", "wasm32-unknown-unknown",
                            "-p", "pillars-lab", "--bin", "pillars-lab", "--no-default-features",
                            "--features", features], check=True, cwd=ROOT,
                           env={**env, **extra, "CARGO_TARGET_DIR": target})
            check_models(key, built, pages, deps)
            shutil.copyfile(built, keep)
            with open(stamp, "w") as f:
                f.write(want)
        out[key] = post_process(key, keep, cache_root)
    return out


def build(stage):
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
    cache_root = os.path.join(target, "bundles")
    os.makedirs(cache_root, exist_ok=True)
    pages = page_of()
    every = keys(pages)
    sources, deps = sources_hash(), model_deps()
    # Each link is one long single-threaded LTO job: two lanes, each with its own target dir
    # (cargo locks one), keep both cores busy. The first lane reuses Trunk's target dir.
    lanes = [(every[0::2], target), (every[1::2], os.path.join(target, "bundle-lane"))]
    done = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(lanes)) as pool:
        for result in pool.map(lambda lane: build_lane(lane[0], lane[1], cache_root, pages, sources, deps), lanes):
            done.update(result)
    bundles = {}
    for key in every:
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
    return {"bundles": bundles, "page_of": {slug: p for slug, p in pages.items() if p in bundles},
            "default": DEFAULT}


if __name__ == "__main__":
    print(json.dumps(build(sys.argv[1] if len(sys.argv) > 1 else "dist"), indent=1))
