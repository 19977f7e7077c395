#!/usr/bin/env python3
"""HTTPS server for the integration tests: https_peer.py PORT CERT KEY [DIR].
Without DIR: answers every GET with 200 and the body 'hello <path>'.
With DIR: serves the files in DIR (a static web server)."""
import functools
import http.server
import ssl
import sys


class Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("hello " + self.path).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


class Files(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass


handler = functools.partial(Files, directory=sys.argv[4]) if len(sys.argv) > 4 else Hello
srv = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[2], sys.argv[3])
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
