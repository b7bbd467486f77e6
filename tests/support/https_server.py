"""A small real HTTPS server for one test: it records each request and answers a chosen status,
with a certificate signed by a CA of the test's own (tests.servers.certs)."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.servers.certs import TestCertificates, write_certificates


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    content_type: str
    body: bytes


@dataclass
class HttpsServer:
    port: int
    certificates: TestCertificates
    requests: list[Request] = field(default_factory=list)
    status: int = 200
    redirect_to: str = ""  # answer 303 with this Location instead of `status`

    def url(self, path: str = "/") -> str:
        return f"https://localhost:{self.port}{path}"

    def client_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts the test CA (and only it)."""
        return ssl.create_default_context(cafile=str(self.certificates.ca_file))


@contextmanager
def https_server(directory: Path) -> Iterator[HttpsServer]:
    certificates = write_certificates(directory / "https-certs")
    state: list[HttpsServer] = []

    class Handler(BaseHTTPRequestHandler):
        def _record(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            server = state[0]
            server.requests.append(Request(self.command, self.path,
                                           self.headers.get("Content-Type", ""), body))
            if server.redirect_to and self.command == "POST":
                self.send_response(303)
                self.send_header("Location", server.redirect_to)
            else:
                self.send_response(server.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_POST = do_GET = _record

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            """Quiet: the test reads `requests`."""

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(certificates.cert_file), str(certificates.key_file))
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    state.append(HttpsServer(httpd.server_address[1], certificates))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state[0]
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)
