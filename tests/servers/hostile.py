"""A misbehaving IMAP and POP3 server over TLS, for the tests of what a client must survive.

Everything else in the suite talks to real servers (Dovecot, Cyrus, Courier): a mock server
is not an IMAP test. This one is the exception, because real servers do not misbehave on
demand: a `* BYE` greeting, a greeting that never ends, a UIDVALIDITY that is not a number or
does not fit in 32 bits, a literal announced as `{99999999999}`, an answer trickled one byte at
a time, an answer that never comes, a BYE in the middle of a FETCH.

`HostileServer(certs, script)` listens on 127.0.0.1 (a free port) with the test CA's
certificate and plays `script` on each connection, in a thread of its own. `ImapScript` and
`Pop3Script` speak just enough of each protocol for `accounts check` and `sync` to get to the
point where they misbehave: the default of each is a well-behaved server with two messages;
a keyword argument replaces the greeting or the answer to one command.
"""

from __future__ import annotations

import contextlib
import os
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.servers.certs import TestCertificates


class Gone(Exception):
    """The client closed the connection (or the server is stopping)."""


class Peer:
    """One client connection, seen from the server."""

    def __init__(self, sock: ssl.SSLSocket, stopping: threading.Event) -> None:
        self.sock = sock
        self.stopping = stopping
        self.file = sock.makefile("rb")
        self.commands: list[str] = []  # what the client sent, for the tests to look at

    def send(self, data: bytes) -> None:
        if self.stopping.is_set():
            raise Gone
        try:
            self.sock.sendall(data)
        except OSError:
            raise Gone from None

    def line(self) -> bytes:
        try:
            line = self.file.readline(1 << 16)
        except OSError:
            raise Gone from None
        if not line:
            raise Gone
        return line.rstrip(b"\r\n")

    def trickle(self, data: bytes, every: float = 0.5) -> None:
        """One byte every `every` seconds: never silent long enough for a socket timeout."""
        for i in range(len(data)):
            self.send(data[i : i + 1])
            if self.stopping.wait(every):
                raise Gone

    def flood(self, data: bytes, total: int) -> None:
        """`data` again and again, `total` bytes in all, as fast as the client reads."""
        sent = 0
        while sent < total:
            self.send(data)
            sent += len(data)

    def stall(self) -> None:
        """Say nothing more until the client gives up (or the server stops)."""
        self.sock.settimeout(0.2)
        while not self.stopping.is_set():
            try:
                if not self.sock.recv(4096):
                    raise Gone
            except TimeoutError:
                continue
            except (OSError, ssl.SSLError):
                raise Gone from None
        raise Gone


Script = Callable[[Peer], None]


class HostileServer:
    """A TLS listener on 127.0.0.1 that runs `script` for each connection."""

    def __init__(self, certs: TestCertificates, script: Script) -> None:
        self.script = script
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(str(certs.cert_file), str(certs.key_file))
        self.stopping = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.peers: list[Peer] = []
        self.connections = 0
        self._threads: list[threading.Thread] = []
        self._accept = threading.Thread(target=self._serve, name="hostile-accept", daemon=True)

    def __enter__(self) -> HostileServer:
        self._accept.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self.stopping.set()
        # close() alone does not wake a thread blocked in accept() on Linux; shutdown() does.
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        if self._accept.is_alive():
            self._accept.join(5)
        for peer in list(self.peers):
            with contextlib.suppress(OSError):
                peer.sock.shutdown(socket.SHUT_RDWR)
            peer.sock.close()
        for thread in self._threads:
            thread.join(5)

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                raw, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            thread = threading.Thread(target=self._run, args=(raw,), daemon=True,
                                      name=f"hostile-{self.connections}")
            self._threads.append(thread)
            thread.start()

    def _run(self, raw: socket.socket) -> None:
        try:
            raw.settimeout(10)
            sock = self.context.wrap_socket(raw, server_side=True)
            sock.settimeout(None)
        except (OSError, ssl.SSLError):
            raw.close()
            return
        peer = Peer(sock, self.stopping)
        self.peers.append(peer)
        try:
            self.script(peer)
        except Gone:
            pass
        finally:
            with contextlib.suppress(OSError):
                sock.close()


# ---- IMAP ------------------------------------------------------------------------------------

Answer = Callable[[Peer, bytes, bytes], None]  # (peer, tag, the whole command line)

HEADER = (b"Date: Mon, 01 Jan 2024 10:00:00 +0000\r\nFrom: Alice <alice@example.com>\r\n"
          b"Subject: hello %d\r\nMessage-ID: <m%d@example.com>\r\n\r\n")


@dataclass
class ImapScript:
    """A small IMAP server with one INBOX of two messages; each field can misbehave."""

    greeting: Callable[[Peer], None] | None = None  # None: "* OK ready"
    answers: dict[str, Answer] = field(default_factory=dict)  # "EXAMINE", "UID FETCH", ...
    uidvalidity: bytes = b"7"
    folders: tuple[str, ...] = ("INBOX",)

    def __call__(self, peer: Peer) -> None:
        if self.greeting is None:
            peer.send(b"* OK [CAPABILITY IMAP4rev1 UIDPLUS] hostile ready\r\n")
        else:
            self.greeting(peer)
        while True:
            line = peer.line()
            tag, _, rest = line.partition(b" ")
            words = rest.split(b" ")
            verb = words[0].upper().decode("ascii", "replace")
            if verb == "UID" and len(words) > 1:
                verb = "UID " + words[1].upper().decode("ascii", "replace")
            peer.commands.append(verb)
            answer = self.answers.get(verb) or getattr(self, "_" + verb.replace(" ", "_"), None)
            if answer is None:
                peer.send(tag + b" BAD unknown command\r\n")
            else:
                answer(peer, tag, line)

    def _CAPABILITY(self, peer: Peer, tag: bytes, line: bytes) -> None:  # noqa: N802
        peer.send(b"* CAPABILITY IMAP4rev1 UIDPLUS\r\n" + tag + b" OK done\r\n")

    def _LOGIN(self, peer: Peer, tag: bytes, line: bytes) -> None:  # noqa: N802
        peer.send(tag + b" OK logged in\r\n")

    def _NOOP(self, peer: Peer, tag: bytes, line: bytes) -> None:  # noqa: N802
        peer.send(tag + b" OK done\r\n")

    def _LOGOUT(self, peer: Peer, tag: bytes, line: bytes) -> None:  # noqa: N802
        peer.send(b"* BYE bye\r\n" + tag + b" OK done\r\n")
        raise Gone

    def _LIST(self, peer: Peer, tag: bytes, line: bytes) -> None:  # noqa: N802
        names = ("INBOX",) if b'"INBOX"' in line or line.endswith(b" INBOX") else self.folders
        for name in names:
            peer.send(b'* LIST (\\HasNoChildren) "/" ' + name.encode() + b"\r\n")
        peer.send(tag + b" OK done\r\n")

    def _LSUB(self, peer: Peer, tag: bytes, line: bytes) -> None:  # noqa: N802
        self._LIST(peer, tag, line)

    def _EXAMINE(self, peer: Peer, tag: bytes, line: bytes) -> None:  # noqa: N802
        peer.send(b"* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft)\r\n"
                  b"* 2 EXISTS\r\n* 0 RECENT\r\n"
                  b"* OK [UIDVALIDITY " + self.uidvalidity + b"] ok\r\n"
                  b"* OK [UIDNEXT 3] ok\r\n" + tag + b" OK [READ-ONLY] done\r\n")

    _SELECT = _EXAMINE

    def _UID_SEARCH(self, peer: Peer, tag: bytes, line: bytes) -> None:  # noqa: N802
        peer.send(b"* SEARCH 1 2\r\n" + tag + b" OK done\r\n")

    def _UID_FETCH(self, peer: Peer, tag: bytes, line: bytes) -> None:  # noqa: N802
        if b"HEADER.FIELDS" in line:
            for uid in (1, 2):
                header = HEADER % (uid, uid)
                peer.send(b"* %d FETCH (UID %d FLAGS () INTERNALDATE \"01-Jan-2024 10:00:00 "
                          b"+0000\" RFC822.SIZE %d BODY[HEADER.FIELDS (DATE FROM SUBJECT "
                          b"MESSAGE-ID)] {%d}\r\n" % (uid, uid, len(header) + 10, len(header))
                          + header + b")\r\n")
        elif b"BODY.PEEK[]" in line:
            for uid in (1, 2):
                raw = HEADER % (uid, uid) + b"body\r\n"
                peer.send(b"* %d FETCH (UID %d BODY[] {%d}\r\n" % (uid, uid, len(raw))
                          + raw + b")\r\n")
        else:
            peer.send(b"* 1 FETCH (UID 1 FLAGS (\\Seen))\r\n* 2 FETCH (UID 2 FLAGS ())\r\n")
        peer.send(tag + b" OK done\r\n")


def bye_greeting(peer: Peer) -> None:
    peer.send(b"* BYE [UNAVAILABLE] Too many connections, \x1b[31mgo away\x1b[0m\r\n")
    raise Gone


def endless_greeting(peer: Peer) -> None:
    """A greeting line that never ends (6 MiB and counting), then silence."""
    peer.send(b"* OK ")
    peer.flood(b"x" * 65536, 6 << 20)
    peer.stall()


def trickled(text: bytes) -> Callable[[Peer], None]:
    def greeting(peer: Peer) -> None:
        peer.trickle(text * 1000)
    return greeting


def stall(peer: Peer, tag: bytes, line: bytes) -> None:
    peer.stall()


def trickle_answer(peer: Peer, tag: bytes, line: bytes) -> None:
    peer.trickle(b"* 1 FETCH (UID 1 FLAGS (\\Seen))\r\n" * 1000)


def bye_in_fetch(peer: Peer, tag: bytes, line: bytes) -> None:
    """Half an answer, then BYE; the connection stays open (as a server shutting down may)."""
    peer.send(b"* 1 FETCH (UID 1 FLAGS (\\Seen))\r\n* BYE shutting down\r\n")
    peer.stall()


def huge_literal(peer: Peer, tag: bytes, line: bytes) -> None:
    peer.send(b"* 1 FETCH (UID 1 BODY[] {99999999999}\r\n")
    peer.flood(b"x" * 65536, 1 << 20)
    peer.stall()


def broken_list(peer: Peer, tag: bytes, line: bytes) -> None:
    peer.send(b'* LIST (\\HasNoChildren "/" INBOX\r\n* LIST ((( ) "/"\r\n' + tag + b" OK done\r\n")


def refused_login(peer: Peer, tag: bytes, line: bytes) -> None:
    peer.send(tag + b" NO [AUTHENTICATIONFAILED] Nope \xc3\xa9t\xc3\xa9 \x1b]52;c;aGk=\x07\r\n")


# ---- POP3 ------------------------------------------------------------------------------------

Pop3Answer = Callable[[Peer, bytes], None]  # (peer, the command line)

POP3_MESSAGE = (b"Date: Mon, 01 Jan 2024 10:00:00 +0000\r\nFrom: Bob <bob@example.com>\r\n"
                b"Subject: pop %d\r\nMessage-ID: <p%d@example.com>\r\n\r\nbody\r\n")


@dataclass
class Pop3Script:
    """A small POP3 server with two messages; each field can misbehave."""

    greeting: Callable[[Peer], None] | None = None
    answers: dict[str, Pop3Answer] = field(default_factory=dict)  # "RETR", "UIDL", ...

    def __call__(self, peer: Peer) -> None:
        if self.greeting is None:
            peer.send(b"+OK hostile POP3 ready\r\n")
        else:
            self.greeting(peer)
        while True:
            line = peer.line()
            verb = line.split(b" ", 1)[0].upper().decode("ascii", "replace")
            peer.commands.append(verb)
            answer = self.answers.get(verb) or getattr(self, "_" + verb, None)
            if answer is None:
                peer.send(b"-ERR unknown command\r\n")
            else:
                answer(peer, line)

    def _CAPA(self, peer: Peer, line: bytes) -> None:  # noqa: N802
        peer.send(b"+OK\r\nUSER\r\nUIDL\r\nTOP\r\n.\r\n")

    def _USER(self, peer: Peer, line: bytes) -> None:  # noqa: N802
        peer.send(b"+OK\r\n")

    def _PASS(self, peer: Peer, line: bytes) -> None:  # noqa: N802
        peer.send(b"+OK logged in\r\n")

    def _STAT(self, peer: Peer, line: bytes) -> None:  # noqa: N802
        peer.send(b"+OK 2 200\r\n")

    def _LIST(self, peer: Peer, line: bytes) -> None:  # noqa: N802
        peer.send(b"+OK\r\n1 %d\r\n2 %d\r\n.\r\n" % (len(POP3_MESSAGE), len(POP3_MESSAGE)))

    def _UIDL(self, peer: Peer, line: bytes) -> None:  # noqa: N802
        peer.send(b"+OK\r\n1 uid-one\r\n2 uid-two\r\n.\r\n")

    def _RETR(self, peer: Peer, line: bytes) -> None:  # noqa: N802
        number = int(line.split()[1])
        peer.send(b"+OK\r\n" + POP3_MESSAGE % (number, number) + b".\r\n")

    def _TOP(self, peer: Peer, line: bytes) -> None:  # noqa: N802
        self._RETR(peer, line)

    def _NOOP(self, peer: Peer, line: bytes) -> None:  # noqa: N802
        peer.send(b"+OK\r\n")

    def _QUIT(self, peer: Peer, line: bytes) -> None:  # noqa: N802
        peer.send(b"+OK bye\r\n")
        raise Gone


def pop3_err_greeting(peer: Peer) -> None:
    peer.send(b"-ERR [SYS/TEMP] \x1b[2Jserver \xff busy\r\n")
    raise Gone


def pop3_endless_greeting(peer: Peer) -> None:
    peer.send(b"+OK ")
    peer.flood(b"x" * 65536, 6 << 20)
    peer.stall()


def pop3_stall(peer: Peer, line: bytes) -> None:
    peer.stall()


def pop3_endless_message(peer: Peer, line: bytes) -> None:
    """A message that never ends: line after line, as fast as the client reads."""
    peer.send(b"+OK\r\n" + POP3_MESSAGE % (1, 1))
    peer.flood(b"x" * 998 + b"\r\n", 64 << 20)
    peer.stall()


def pop3_trickle_retr(peer: Peer, line: bytes) -> None:
    peer.send(b"+OK\r\n")
    peer.trickle(b"Subject: slow\r\n" * 1000)


def pop3_bad_list(peer: Peer, line: bytes) -> None:
    peer.send(b"+OK\r\none two\r\n.\r\n")


# ---- running the real command line against it ----------------------------------------------

@dataclass(frozen=True)
class CliRun:
    code: int
    out: str
    err: str

    def assert_failed_cleanly(self, *words: str) -> None:
        """Non-zero, saying `words`, with no traceback, bytes repr or escape sequence, and at
        most one `tui-mail: ` error line."""
        text = self.out + self.err
        assert self.code != 0, text
        assert "Traceback" not in text and "b'" not in text and 'b"' not in text, text
        assert "\x1b" not in text, text
        for word in words:
            assert word in text, text
        errors = [line for line in self.err.splitlines() if line.startswith("tui-mail: ")]
        assert len(errors) <= 1, self.err


def write_config(directory: Path, certs: TestCertificates, port: int, protocol: str = "imap",
                 timeout: float = 2.0, extra: str = "") -> Path:
    """A config with one account, "hostile", on the server at `port`; `timeout` seconds."""
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "config.toml"
    config.write_text(
        '[accounts.hostile]\naddress = "me@example.com"\n' + extra
        + f'\n[accounts.hostile.incoming]\nprotocol = "{protocol}"\nhost = "127.0.0.1"\n'
        f'port = {port}\nsecurity = "tls"\nusername = "me"\nca_file = "{certs.ca_file}"\n'
        f'password_command = "echo secret"\ntimeout = {timeout}\n'
    )
    return config


def run_cli(config: Path, data_home: Path, *args: str, limit: float = 60.0) -> CliRun:
    """`python -m tui_mail ARGS` with `config`; a hang fails the test after `limit` seconds."""
    env = dict(os.environ)
    env.update(TUI_MAIL_CONFIG=str(config), XDG_DATA_HOME=str(data_home),
               XDG_STATE_HOME=str(data_home / "state"), XDG_CONFIG_HOME=str(data_home / "cfg"),
               PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    done = subprocess.run([sys.executable, "-m", "tui_mail", *args], env=env,
                          capture_output=True, text=True, timeout=limit, check=False)
    return CliRun(done.returncode, done.stdout, done.stderr)
