"""A real Web Key Directory for one test: an HTTPS server on 127.0.0.1 with a certificate for
the domains it stands in for (signed by a CA of the test's own), publishing keys at the paths
the draft gives, and a host map that sends those names to it."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import trustme

from tui_mail.remote.wkd import places


@dataclass
class WkdServer:
    port: int
    ca_file: Path
    names: tuple[str, ...]  # the hosts it answers for (its certificate's names)
    keys: dict[str, bytes] = field(default_factory=dict)  # path without the query: key data
    asked: list[str] = field(default_factory=list)  # "Host path?query" of each request
    status: int = 0  # answer this instead of looking the key up (0: look it up)
    location: str = ""  # answer 302 with this Location
    stall: float = 0.0  # seconds to wait before answering

    def publish(self, address: str, key: bytes, *, advanced: bool = True) -> None:
        """Publish `key` for `address` at its advanced (or direct) place."""
        place = places(address)[0 if advanced else 1]
        self.keys[place.path.partition("?")[0]] = key

    def host_map(self, host: str, port: int) -> tuple[str, int]:
        """This server for its names; any other name does not exist."""
        if host.lower() in self.names and port == 443:
            return "127.0.0.1", self.port
        raise socket.gaierror(socket.EAI_NONAME, f"{host}: Name or service not known")

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file))


@contextmanager
def wkd_server(directory: Path, names: Sequence[str]) -> Iterator[WkdServer]:
    directory.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="tui-mail WKD test CA")
    leaf = ca.issue_cert(*names)
    ca_file = directory / "wkd-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    state: list[WkdServer] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            server = state[0]
            server.asked.append(f"{self.headers.get('Host', '')} {self.path}")
            if server.stall:
                time.sleep(server.stall)
            body = b""
            if server.location:
                self.send_response(302)
                self.send_header("Location", server.location)
            elif server.status:
                self.send_response(server.status)
            elif (key := server.keys.get(self.path.partition("?")[0])) is not None:
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                body = key
            else:
                self.send_response(404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            """Quiet: the test reads `asked`."""

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    leaf.configure_cert(context)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    state.append(WkdServer(httpd.server_address[1], ca_file, tuple(n.lower() for n in names)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state[0]
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)
