#!/usr/bin/env python3
"""Serve a built site (default: dist/) on 127.0.0.1 with single-page-app fallback.

Any path that is not a file gets index.html, so deep links like /widget/<slug> work on the
release build as they do under `trunk serve`. Used by the end-to-end tests and benchmarks.

Caching as a host should set it: a file whose name carries its content hash (the bundles, the
boot script, the stylesheets) never changes, so the browser may keep it for a year; everything
else (index.html, embed.js, the worker script) is revalidated on every use. `--no-store` turns
all caching off (the benchmarks time cold loads with it).

    python3 scripts/serve_dist.py [--dir dist] [--port 8090] [--csp] [--no-store]
"""
import argparse
import functools
import http.server
import os
import re
import socketserver

CSP = ("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; "
       "style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; "
       "frame-ancestors *; base-uri 'self'; object-src 'none'")


# pillars-lab-25-1327aa9465a01062_bg.wasm, style-shell-f112e111d41d3ff1.css, boot-….js
HASHED = re.compile(r"-[0-9a-f]{16}(_bg)?\.[a-z]+$")


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".wasm": "application/wasm", ".js": "text/javascript", ".mjs": "text/javascript",
                      ".svg": "image/svg+xml", ".css": "text/css", ".json": "application/json"}
    csp = False
    no_store = False

    def send_head(self):
        path = self.translate_path(self.path)
        if not os.path.exists(path) or (os.path.isdir(path) and not os.path.exists(os.path.join(path, "index.html"))):
            self.path = "/index.html"
        return super().send_head()

    def end_headers(self):
        if self.no_store:
            cache = "no-store"
        elif HASHED.search(self.path.split("?")[0]):
            cache = "public, max-age=31536000, immutable"
        else:
            cache = "no-cache"
        self.send_header("Cache-Control", cache)
        # the script embed imports our glue and wasm from other sites' pages
        self.send_header("Access-Control-Allow-Origin", "*")
        if self.csp:
            self.send_header("Content-Security-Policy", CSP)
        super().end_headers()

    def log_message(self, *args):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # a browser closing a connection early is normal; anything else is worth a line
        import sys
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", default="dist")
    ap.add_argument("--port", type=int, default=8090)
    ap.add_argument("--csp", action="store_true", help="send the site's Content-Security-Policy")
    ap.add_argument("--no-store", action="store_true", help="forbid all caching (cold loads)")
    a = ap.parse_args()
    Handler.csp = a.csp
    Handler.no_store = a.no_store
    handler = functools.partial(Handler, directory=os.path.abspath(a.dir))
    with Server(("127.0.0.1", a.port), handler) as httpd:
        print(f"serving {a.dir} on http://127.0.0.1:{a.port}", flush=True)
        httpd.serve_forever()


if __name__ == "__main__":
    main()
