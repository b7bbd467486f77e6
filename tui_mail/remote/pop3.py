"""POP3 adapter on poplib. Blocking: one connection per thread.

`connect()` opens, secures and logs in; `Pop3Session` wraps the logged-in connection with the
commands a mail client needs (CAPA, STAT, LIST, UIDL, TOP, RETR, DELE, QUIT), each turning a
refusal or a dropped connection into a user-facing error that names the server.

POP3 applies DELE only when the session ends with QUIT (the UPDATE state): a connection that
drops before QUIT deletes nothing, which is what makes "delete after download" safe to retry.
"""

from __future__ import annotations

import base64
import hashlib
import poplib
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from types import TracebackType

from tui_mail.errors import AuthError, ConnectError, ProtocolViolation, ServerRefused
from tui_mail.model import Security, ServerConfig
from tui_mail.remote import sasl
from tui_mail.remote.connection import (
    Credentials,
    auth_failed,
    describe,
    malformed,
    no_token_login,
    server_text,
    ssl_context,
    starttls_missing,
    token_refused,
    translated,
)
from tui_mail.remote.wire import DEFAULT_LITERAL_LIMIT, LINE_LIMIT, Wire

# RFC 1939 allows 512 octets per response line and RFC 5322 998 per message line, but real mail
# breaks both; poplib's 2048 would make such a message impossible to download.
_LINE_LIMIT = 1 << 20
_CRLF = b"\r\n"
assert _LINE_LIMIT <= LINE_LIMIT
_APOP_TIMESTAMP = re.compile(rb"\+OK.[^<]*(<[^>]*>)")


class UidlUnsupported(ServerRefused):
    """The server has no UIDL: messages cannot be told apart reliably between sessions."""


class _Bounded:
    """poplib reading through a `Wire` (tui_mail.remote.wire): a deadline per command, a
    limit on each line and on each multi-line answer (a message)."""

    _wire: Wire
    sock: socket.socket

    def __init__(self, wire: Wire, *args: object, **kwargs: object) -> None:
        self._wire = wire
        super().__init__(*args, **kwargs)

    def _create_socket(self, timeout: float | None) -> socket.socket:
        sock: socket.socket = super()._create_socket(timeout)  # type: ignore[misc]
        self._wire.sock = sock
        self._wire.start("the greeting")
        return sock

    def _getline(self) -> tuple[bytes, int]:
        line = self._wire.readline(self.sock)
        if not line:
            raise poplib.error_proto("-ERR EOF")
        octets = len(line)
        if line.endswith(_CRLF):
            return line[:-2], octets
        return line.rstrip(b"\r\n"), octets

    def _putline(self, line: bytes) -> None:
        verb = line.split(b" ", 1)[0].decode("ascii", "replace").upper()
        self._wire.start(verb if verb.isalpha() else "a command")
        super()._putline(line)  # type: ignore[misc]

    def _getlongresp(self) -> tuple[bytes, list[bytes], int]:
        resp = self._getresp()  # type: ignore[attr-defined]
        lines: list[bytes] = []
        octets = 0
        while True:
            line, got = self._getline()
            if line == b".":
                return resp, lines, octets
            if line.startswith(b".."):
                got -= 1
                line = line[1:]
            octets += got
            if octets > self._wire.literal_limit:
                raise self._wire.too_long(octets)
            lines.append(line)


class _POP3(_Bounded, poplib.POP3):
    pass


class _POP3_SSL(_Bounded, poplib.POP3_SSL):
    pass


def _words(exc: BaseException) -> str:
    arg = exc.args[0] if exc.args else exc
    return server_text(arg).removeprefix("-ERR").strip()


def _malformed(server: ServerConfig, what: str, exc: BaseException) -> ProtocolViolation:
    return ProtocolViolation(
        f"{describe(server)}: the server's answer to {what} could not be understood "
        f"({malformed(exc)}); the connection was given up")


def _is_disconnect(exc: poplib.error_proto) -> bool:
    """poplib reports a closed connection and an overlong line as protocol errors."""
    return _words(exc) in ("EOF", "line too long")


def has_apop_timestamp(greeting: bytes) -> bool:
    """True when the greeting carries the `<...>` timestamp APOP needs (RFC 1939 section 7)."""
    return _APOP_TIMESTAMP.match(greeting) is not None


def connect(server: ServerConfig, creds: Credentials, *, apop: bool = False,
            max_literal: int = DEFAULT_LITERAL_LIMIT) -> poplib.POP3:
    """Open, secure and log in. Raises ConnectError (ServerTimeout, ProtocolViolation), TLSError
    or AuthError. Each command must be answered within the server's `timeout`, and no message
    over `max_literal` bytes is accepted (see tui_mail.remote.wire).

    USER/PASS is the default (over TLS it is as safe as APOP and works everywhere). With
    `apop=True`, APOP is used when the greeting has a timestamp; otherwise USER/PASS is used only
    on an encrypted connection, never in clear.
    """
    wire = Wire(describe(server), server.timeout, max_literal, _LINE_LIMIT)
    with translated(server):
        client: poplib.POP3
        try:
            if server.security is Security.TLS:
                client = _POP3_SSL(
                    wire, server.host, server.port, timeout=server.timeout,
                    context=ssl_context(server)
                )
            else:
                client = _POP3(wire, server.host, server.port, timeout=server.timeout)
        except poplib.error_proto as exc:
            if _is_disconnect(exc):
                raise ConnectError(
                    f"{describe(server)}: the server closed the connection before greeting"
                ) from None
            raise ProtocolViolation(
                f"{describe(server)}: the server did not greet as a POP3 server: {_words(exc)}"
            ) from None
        try:
            if server.security is Security.STARTTLS:
                try:
                    caps = client.capa()
                except poplib.error_proto:
                    caps = {}
                if "STLS" not in caps:
                    raise starttls_missing(server)
                try:
                    client.stls(ssl_context(server))
                except poplib.error_proto as exc:
                    raise starttls_missing(server) from exc
                wire.secured()
            _login(client, server, creds, apop)
        except poplib.error_proto as exc:
            _close_quietly(client)
            raise ConnectError(f"{describe(server)}: the connection failed: {_words(exc)}") from None
        except BaseException:
            _close_quietly(client)
            raise
    return client


def _command(client: poplib.POP3, line: str) -> bytes:
    """One command and its answer line (poplib has no AUTH, so its own primitive is used);
    a -ERR answer raises poplib.error_proto."""
    answer: bytes = client._shortcmd(line)  # type: ignore[attr-defined]  # noqa: SLF001
    return answer


def _token_login(client: poplib.POP3, server: ServerConfig, creds: Credentials) -> None:
    """AUTH (RFC 5034) with the OAuth2 token; once more with a renewed token if refused."""
    try:
        offered = set(client.capa().get("SASL", []))
    except poplib.error_proto:
        offered = set()
    mechanism = sasl.choose_mechanism(offered)
    if mechanism is None:
        raise no_token_login(server, offered)
    while True:
        assert creds.oauth2_token is not None
        first = sasl.initial_response(mechanism, creds.username, creds.oauth2_token,
                                      server.host, server.port)
        refusal: bytes | None = None
        try:
            answer = _command(client, f"AUTH {mechanism}")
            if not answer.startswith(b"+OK"):
                answer = _command(client, base64.b64encode(first).decode("ascii"))
            if answer.startswith(b"+OK"):
                return
            # A continuation after the token is the server's error challenge: answer it to
            # get the final -ERR (RFC 7628 section 3.2.3).
            refusal = answer[1:].strip()
            _command(client, base64.b64encode(sasl.ABORT_RESPONSE[mechanism]).decode("ascii"))
            explanation = sasl.explain_challenge(refusal)
        except poplib.error_proto as exc:
            if _is_disconnect(exc):
                raise
            explanation = sasl.explain_challenge(refusal) if refusal is not None \
                else _words(exc)
        if not creds.renewed():
            raise token_refused(server, explanation)


def _login(client: poplib.POP3, server: ServerConfig, creds: Credentials, apop: bool) -> None:
    if creds.oauth2_token:
        _token_login(client, server, creds)
        return
    password = creds.password or ""
    use_apop = apop and has_apop_timestamp(client.getwelcome())
    if apop and not use_apop and server.security is Security.NONE:
        raise AuthError(
            f"{describe(server)}: the server does not offer APOP and the connection is not "
            "encrypted; refusing to send the password in clear"
        )
    try:
        if use_apop:
            client.apop(creds.username, password)
        else:
            client.user(creds.username)
            client.pass_(password)
    except poplib.error_proto as exc:
        if _is_disconnect(exc):
            raise
        raise auth_failed(server, _words(exc)) from None


def _close_quietly(client: poplib.POP3) -> None:
    with suppress(OSError):
        client.close()


def probe(server: ServerConfig, creds: Credentials) -> list[str]:
    """Log in and return the CAPA list (with arguments) the server announces after login."""
    with Pop3Session.open(server, creds) as session:
        caps = session.capabilities()
        session.quit()
    return sorted(" ".join([name, *args]) for name, args in caps.items())


@dataclass(frozen=True)
class Listing:
    """One message of the maildrop as this session numbers it."""

    number: int  # message number, valid for this session only
    size: int  # octets, as LIST reports them
    uidl: str  # the server's unique id, stable across sessions


class Pop3Session:
    """A logged-in POP3 connection. Use as a context manager; `quit()` commits deletions."""

    def __init__(self, client: poplib.POP3, server: ServerConfig):
        self._client = client
        self.server = server
        self._caps: dict[str, list[str]] | None = None

    @classmethod
    def open(cls, server: ServerConfig, creds: Credentials, *, apop: bool = False,
             max_literal: int = DEFAULT_LITERAL_LIMIT) -> Pop3Session:
        return cls(connect(server, creds, apop=apop, max_literal=max_literal), server)

    def __enter__(self) -> Pop3Session:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def _command(self, name: str) -> Iterator[None]:
        with translated(self.server):
            try:
                yield
            except poplib.error_proto as exc:
                if _is_disconnect(exc):
                    raise ConnectError(
                        f"{describe(self.server)}: the connection failed during {name}: "
                        f"{_words(exc)}"
                    ) from None
                raise ServerRefused(
                    f"{describe(self.server)}: {name} refused: {_words(exc)}"
                ) from None
            except (ValueError, IndexError, UnicodeError) as exc:
                raise _malformed(self.server, name, exc) from None

    def capabilities(self) -> dict[str, list[str]]:
        """CAPA (RFC 2449); an empty dict when the server has no CAPA command."""
        if self._caps is None:
            with translated(self.server):
                try:
                    self._caps = self._client.capa()
                except poplib.error_proto as exc:
                    if _is_disconnect(exc):
                        raise ConnectError(
                            f"{describe(self.server)}: the connection failed during CAPA"
                        ) from None
                    self._caps = {}
                except (ValueError, IndexError) as exc:
                    raise _malformed(self.server, "CAPA", exc) from None
        return self._caps

    def stat(self) -> tuple[int, int]:
        """(message count, total octets)."""
        with self._command("STAT"):
            count, size = self._client.stat()
        return count, size

    def sizes(self) -> dict[int, int]:
        """LIST: message number -> size in octets."""
        result: dict[int, int] = {}
        with self._command("LIST"):
            _, lines, _ = self._client.list()
            for line in lines:
                number, size = line.split()[:2]
                result[int(number)] = int(size)
        return result

    def uidls(self) -> dict[int, str]:
        """UIDL: message number -> unique id. Raises UidlUnsupported when the server has none."""
        with translated(self.server):
            try:
                _, lines, _ = self._client.uidl()
            except poplib.error_proto as exc:
                if _is_disconnect(exc):
                    raise ConnectError(
                        f"{describe(self.server)}: the connection failed during UIDL"
                    ) from None
                raise UidlUnsupported(
                    f"{describe(self.server)}: the server does not support UIDL "
                    f"({_words(exc) or 'refused'}), so messages cannot be recognised between "
                    "sessions by their id"
                ) from None
        result: dict[int, str] = {}
        try:
            for line in lines:
                number, uidl = line.split()[:2]
                result[int(number)] = uidl.decode("ascii", "replace")
        except (ValueError, IndexError) as exc:
            raise _malformed(self.server, "UIDL", exc) from None
        return result

    def listing(self) -> list[Listing]:
        """Every message with its size and UIDL, in message-number order."""
        uidls = self.uidls()
        sizes = self.sizes()
        return [Listing(n, sizes.get(n, 0), uidls[n]) for n in sorted(uidls)]

    def fallback_keys(self) -> dict[int, str]:
        """For a server without UIDL: message number -> a key made from the header block and size.

        The same stored message gives the same key in every session, so it de-duplicates without
        UIDL. Two deliveries of identical bytes share a key and are kept once. Costs a TOP per
        message (RETR when TOP is refused too).
        """
        keys: dict[int, str] = {}
        for number, size in self.sizes().items():
            try:
                header = self.top(number, 0)
            except ConnectError:
                raise
            except ServerRefused:
                raw = self.retr(number)
                header = raw.split(b"\r\n\r\n", 1)[0]
            digest = hashlib.sha256(header).hexdigest()[:40]
            keys[number] = f"nouidl-{digest}-{size}"
        return keys

    def top(self, number: int, lines: int = 0) -> bytes:
        """The header block (and `lines` body lines) of a message, CRLF line ends."""
        with self._command(f"TOP {number}"):
            _, body, _ = self._client.top(number, lines)
        return _join(body)

    def retr(self, number: int) -> bytes:
        """The whole message as the server stores it, CRLF line ends."""
        with self._command(f"RETR {number}"):
            _, body, _ = self._client.retr(number)
        return _join(body)

    def dele(self, number: int) -> None:
        """Mark a message for deletion; the server deletes it only at `quit()`."""
        with self._command(f"DELE {number}"):
            self._client.dele(number)

    def noop(self) -> None:
        with self._command("NOOP"):
            self._client.noop()

    def quit(self) -> None:
        """End the session: the server now deletes what was marked with `dele()`."""
        with self._command("QUIT"):
            self._client.quit()

    def close(self) -> None:
        """Drop the connection without QUIT: nothing marked for deletion is deleted."""
        _close_quietly(self._client)


def _join(lines: list[bytes]) -> bytes:
    return _CRLF.join(lines) + _CRLF if lines else b""
