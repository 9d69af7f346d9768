"""A kubelet stand-in: HTTPS on the node's address and port 10250 with the kubelet's serving
certificate, requiring a client certificate from the kubelet's clientCAFile, as kubelet does.

Usage: kubelet_standin.py ADDRESS CERT KEY CLIENT_CA. Logs each request with the client's CN.
"""

from __future__ import annotations

import ssl
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        peer = self.connection.getpeercert() or {}
        subject = dict(pair[0] for pair in peer.get("subject", ()))
        print(f"GET {self.path} client CN={subject.get('commonName')}", flush=True)
        body = b"ok"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def main() -> None:
    address, cert, key, client_ca = sys.argv[1:5]
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.load_verify_locations(client_ca)
    context.verify_mode = ssl.CERT_REQUIRED
    server = ThreadingHTTPServer((address, 10250), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print(f"serving {cert} on {address}:10250, client CA {client_ca}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
