#!/usr/bin/env python3
"""Trunk post-build hook (see Trunk.toml): runs on every `trunk build` and `trunk serve`.

1. Moves the inline module script Trunk injects into index.html out to its own file
   (boot-<hash>.js), so the site's Content-Security-Policy can forbid inline script.
2. Writes embed.js from www/embed.js, filling in the hashed names of the glue, the wasm and the
   stylesheet, so other sites can mount widgets with one <script>.
"""
import hashlib
import os
import re
import sys

stage = os.environ.get("TRUNK_STAGING_DIR") or (sys.argv[1] if len(sys.argv) > 1 else "dist")
index_path = os.path.join(stage, "index.html")
html = open(index_path, encoding="utf-8").read()

inline = re.compile(r"<script type=\"module\">(.*?)</script>", re.S)
m = inline.search(html)
if m:
    body = m.group(1).strip() + "\n"
    name = "boot-%s.js" % hashlib.sha256(body.encode()).hexdigest()[:16]
    with open(os.path.join(stage, name), "w", encoding="utf-8") as f:
        f.write(body)
    html = html[: m.start()] + '<script type="module" src="/%s"></script>' % name + html[m.end():]
    with open(index_path, "w", encoding="utf-8") as f:
        f.write(html)
elif "<script type=\"module\" src=\"/boot-" not in html:
    sys.exit("trunk_post_build: no inline module script found in index.html")

files = os.listdir(stage)
def one(pattern):
    found = sorted(f for f in files if re.fullmatch(pattern, f))
    if len(found) != 1:
        sys.exit("trunk_post_build: expected one file matching %s, found %s" % (pattern, found))
    return found[0]

template = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "www", "embed.js"), encoding="utf-8").read()
embed = (template.replace("__GLUE__", one(r"pillars-lab-[0-9a-f]+\.js"))
                 .replace("__WASM__", one(r"pillars-lab-[0-9a-f]+_bg\.wasm"))
                 .replace("__CSS__", one(r"style-[0-9a-f]+\.css")))
with open(os.path.join(stage, "embed.js"), "w", encoding="utf-8") as f:
    f.write(embed)
