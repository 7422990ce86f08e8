#!/usr/bin/env python3
"""Trunk post-build hook (see Trunk.toml): runs on every `trunk build` and `trunk serve`.

1. Release builds (TRUNK_PROFILE=release, unless PILLARS_ONE_BUNDLE is set): replaces Trunk's
   one everything-bundle with one bundle per book page plus the summary's
   (scripts/build_bundles.py), booted by www/boot.js, which picks the bundle for the address.
   Other builds keep Trunk's bundle and move its inline boot script out to its own file
   (boot-<hash>.js), so the site's Content-Security-Policy can forbid inline script.
   The stylesheet is split the same way (build_bundles.split_css): index.html links the shell's
   part, and the boot script adds the page's widgets' part.
2. Writes embed.js from www/embed.js, filling in the bundles' hashed file names and the
   stylesheets', so other sites can mount widgets with one <script>.
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import build_bundles  # noqa: E402

stage = os.environ.get("TRUNK_STAGING_DIR") or (sys.argv[1] if len(sys.argv) > 1 else "dist")
release = os.environ.get("TRUNK_PROFILE") == "release" and not os.environ.get("PILLARS_ONE_BUNDLE")
www = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "www")
index_path = os.path.join(stage, "index.html")
html = open(index_path, encoding="utf-8").read()
files = os.listdir(stage)


def one(pattern):
    found = sorted(f for f in files if re.fullmatch(pattern, f))
    if len(found) != 1:
        sys.exit("trunk_post_build: expected one file matching %s, found %s" % (pattern, found))
    return found[0]


def write_hashed(prefix, body):
    return build_bundles.write_hashed(stage, prefix, ".js", body)


def fill(template, plan):
    return (template.replace("__BUNDLES__", json.dumps(plan["bundles"], sort_keys=True))
                    .replace("__PAGE_CSS__", json.dumps(plan["css"], sort_keys=True))
                    .replace("__PAGE_OF__", json.dumps(plan["page_of"], sort_keys=True))
                    .replace("__DEFAULT__", json.dumps(plan["default"])))


# (Trunk minifies index.html in release builds: attribute quotes may be gone)
inline = re.compile(r"<script type=[\"']?module[\"']?>(.*?)</script>", re.S)
m = inline.search(html)
if m is None and not re.search(r"<script type=[\"']?module[\"']? src=[\"']?/boot-", html):
    sys.exit("trunk_post_build: no inline module script found in index.html:\n" + html)
trunk_glue, trunk_wasm = one(r"pillars-lab-[0-9a-f]+\.js"), one(r"pillars-lab-[0-9a-f]+_bg\.wasm")

if release:
    # one bundle per page instead of Trunk's everything-bundle, booted by www/boot.js
    plan = build_bundles.build(stage)
    # the stylesheet split the same way: the shell's for every address, each page's widgets' own
    trunk_css = one(r"style-[0-9a-f]+\.css")
    css, plan["css"] = build_bundles.write_css(stage)
    os.remove(os.path.join(stage, trunk_css))
    html, n = re.subn(r"<link [^>]*href=[\"']?/?%s[^>]*>" % re.escape(trunk_css),
                      '<link rel="stylesheet" href="/%s">' % css, html)
    if n != 1:
        sys.exit("trunk_post_build: no link to %s in index.html:\n%s" % (trunk_css, html))
    boot_js = fill(open(os.path.join(www, "boot.js"), encoding="utf-8").read(), plan)
    boot = write_hashed("boot", build_bundles.minify(boot_js, "js"))
    html = re.sub(r"<link [^>]*rel=[\"']?(?:modulepreload|preload)[\"']?[^>]*>", "", html)
    html = inline.sub("", html)
    html = re.sub(r"<script type=[\"']?module[\"']? src=[\"']?/boot-[^>]*></script>", "", html)
    tag = '<script type="module" src="/%s"></script>' % boot
    html = html.replace("</head>", tag + "</head>", 1) if "</head>" in html else html.replace("<body", tag + "<body", 1)
    for f in (trunk_glue, trunk_wasm):
        os.remove(os.path.join(stage, f))
else:
    css = one(r"style-[0-9a-f]+\.css")
    plan = {"bundles": {"all": [trunk_glue, trunk_wasm]}, "page_of": {}, "default": "all", "css": {}}
    if m:
        boot = write_hashed("boot", m.group(1).strip() + "\n")
        html = html[: m.start()] + '<script type="module" src="/%s"></script>' % boot + html[m.end():]
if os.environ.get("PILLARS_DEV_SERVER"):
    # `trunk serve` (scripts/serve.sh) injects its live-reload client as an inline script, which
    # the CSP would refuse with a console error on every page: allow inline script there only.
    # Built files (`trunk build`, what the tests and the bench serve) keep the strict policy.
    html = html.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'", 1)
with open(index_path, "w", encoding="utf-8") as f:
    f.write(html)

embed = fill(open(os.path.join(www, "embed.js"), encoding="utf-8").read(), plan)
embed = embed.replace("__CSS__", css)
with open(os.path.join(stage, "embed.js"), "w", encoding="utf-8") as f:
    f.write(embed)
