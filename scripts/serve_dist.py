#!/usr/bin/env python3
"""Serve a built site (default: dist/) on 127.0.0.1 with single-page-app fallback.

Any path that is not a file gets index.html, so deep links like /widget/<slug> work on the
release build as they do under `trunk serve`. Used by the end-to-end tests and benchmarks.

    python3 scripts/serve_dist.py [--dir dist] [--port 8090] [--csp]
"""
import argparse
import functools
import http.server
import os
import socketserver

CSP = ("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; "
       "style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; "
       "frame-ancestors *; base-uri 'self'; object-src 'none'")


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".wasm": "application/wasm", ".js": "text/javascript", ".mjs": "text/javascript",
                      ".svg": "image/svg+xml", ".css": "text/css", ".json": "application/json"}
    csp = False

    def send_head(self):
        path = self.translate_path(self.path)
        if not os.path.exists(path) or (os.path.isdir(path) and not os.path.exists(os.path.join(path, "index.html"))):
            self.path = "/index.html"
        return super().send_head()

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
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
    a = ap.parse_args()
    Handler.csp = a.csp
    handler = functools.partial(Handler, directory=os.path.abspath(a.dir))
    with Server(("127.0.0.1", a.port), handler) as httpd:
        print(f"serving {a.dir} on http://127.0.0.1:{a.port}", flush=True)
        httpd.serve_forever()


if __name__ == "__main__":
    main()
