"""IMAP adapter on imapclient. Blocking: one client per thread, never shared.

Logging: each login is logged at INFO here. The protocol lines are imapclient's own loggers
("imapclient.imapclient" for the commands it builds, "imapclient.imaplib" for every line sent
and read, with LOGIN and AUTHENTICATE arguments replaced by imapclient); `tui_mail.log` turns
them on at DEBUG only (`--debug`), and its filter redacts again whatever looks like a secret.
"""

from __future__ import annotations

import functools
import logging
import re
import select
import socket
import ssl
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar

import imapclient
import imapclient.exceptions
from imapclient import imap4 as imapclient_imap4
from imapclient import tls as imapclient_tls
from imapclient.datetime_util import parse_to_datetime
from imapclient.exceptions import IMAPClientError, LoginError
from imapclient.response_parser import (
    parse_fetch_response,
    parse_message_list,
    parse_response,
)

from tui_mail.errors import ConnectError, ProtocolViolation, ServerRefused, TuiMailError
from tui_mail.model import Flags, FolderRole, FolderSyncState, Security, ServerConfig
from tui_mail.remote import sasl
from tui_mail.remote.backend import (
    SUMMARY_HEADER_FIELDS,
    FlagUpdate,
    FolderChanges,
    FolderMissing,
    FolderStatus,
    KnownUids,
    MessagesGone,
    Namespace,
    Namespaces,
    RemoteFolder,
    RemoteMessage,
    RemoteSummary,
)
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
from tui_mail.remote.folder_roles import DEFAULT_ROLE_NAMES, classify
from tui_mail.remote.wire import DEFAULT_LITERAL_LIMIT, LINE_LIMIT, Wire

logger = logging.getLogger(__name__)


def _closed(sock: socket.socket) -> bool:
    """Whether the peer closed a plain (non-blocking) socket: a peek that reads nothing."""
    try:
        return sock.recv(1, socket.MSG_PEEK) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def _parse_untagged(line: bytes) -> Any:
    """One untagged response line ("* 3 EXISTS", "* BYE going down") as imapclient parses it."""
    text = line[2:] if line.startswith(b"* ") else line
    if text.startswith((b"OK ", b"NO ", b"BYE ")):
        return tuple(text.split(b" ", 1))
    return parse_response([text])


_IMAPLIB_PREFIX = re.compile(r"^command: \S+ => ")  # how imaplib wraps a BYE or a refusal


def _words(exc: object) -> str:
    """The server's words in an imaplib/imapclient error: decoded and cleaned, one line."""
    return server_text(_IMAPLIB_PREFIX.sub("", str(exc).strip()))


# Numbers from the server, checked before they reach the cache (RFC 3501 nz-number and
# number are 32-bit unsigned; RFC 7162 mod-sequences are below 2**63, SQLite's INTEGER).
_UINT32 = (1 << 32) - 1
_MODSEQ = (1 << 63) - 1


def _number(server: ServerConfig, value: object, what: str, *, high: int = _UINT32,
            low: int = 0) -> int:
    """`value` (bytes, str or int from imapclient) as an int in [low, high], or a
    ProtocolViolation naming the server and the field: never a ValueError or an overflow."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        raw = value.decode("ascii", "replace") if isinstance(value, bytes) else str(value)
        if not raw.isascii() or not raw.isdigit() or len(raw) > 20:
            raise ProtocolViolation(
                f"{describe(server)}: the server sent {what} {server_text(raw)[:40]!r}, "
                "which is not a number; the connection was given up")
        number = int(raw)
    if not low <= number <= high:
        raise ProtocolViolation(
            f"{describe(server)}: the server sent {what} {number}, outside the range the "
            f"protocol allows ({low} to {high}); the connection was given up")
    return number


class _Bounded:
    """imaplib reading through a `Wire` (tui_mail.remote.wire): a deadline per command and a
    limit on each line and literal. Mixed into imapclient's two imaplib classes."""

    _wire: Wire
    sock: socket.socket
    tagpre: bytes

    def __init__(self, wire: Wire, *args: Any) -> None:
        self._wire = wire
        super().__init__(*args)

    def open(self, *args: Any, **kwargs: Any) -> None:
        super().open(*args, **kwargs)  # type: ignore[misc]
        self._wire.sock = self.sock
        self._wire.start("the greeting")

    def read(self, size: int) -> bytes:
        return self._wire.read(self.sock, size)

    def readline(self) -> bytes:
        return self._wire.readline(self.sock)

    def send(self, data: bytes) -> None:
        what = self._wire.what
        if data.startswith(self.tagpre):
            parts = data.split(b" ", 3)
            name = b" ".join(parts[1:3] if parts[1:2] == [b"UID"] else parts[1:2])
            what = name.strip().decode("ascii", "replace") or what
        elif data.startswith(b"DONE"):
            what = "IDLE DONE"
        self._wire.start(what)
        super().send(data)  # type: ignore[misc]


class _TLS(_Bounded, imapclient_tls.IMAP4_TLS):
    pass


class _Plain(_Bounded, imapclient_imap4.IMAP4WithTimeout):
    pass


class _Client(imapclient.IMAPClient):
    """IMAPClient on the bounded imaplib classes above."""

    def __init__(self, wire: Wire, *args: Any, **kwargs: Any) -> None:
        self.wire = wire
        super().__init__(*args, **kwargs)

    def _create_IMAP4(self) -> Any:  # noqa: N802 - imapclient's name
        timeout = getattr(self._timeout, "connect", None)
        if self.ssl:
            return _TLS(self.wire, self.host, self.port, self.ssl_context, timeout)
        return _Plain(self.wire, self.host, self.port, timeout)


_CLIENT_PREFIX = re.compile(r"^[a-z_]+ failed: ")  # imapclient's "append failed: "
_SERVER_TIMING = re.compile(r"\s*\(\d+\.\d+( \+ \d+\.\d+)* (secs|s)\)\.?$")  # Dovecot's


def refusal_words(exc: BaseException) -> str:
    """The server's own words of a NO or BAD: without imapclient's prefix, a bytes repr or
    Dovecot's timing ("(0.001 + 0.000 secs)")."""
    text = server_text(_CLIENT_PREFIX.sub("", str(exc).strip()))
    return _SERVER_TIMING.sub("", text).strip() or _words(exc)


def connect(server: ServerConfig, creds: Credentials,
            max_literal: int = DEFAULT_LITERAL_LIMIT) -> imapclient.IMAPClient:
    """Open, secure and log in. Raises ConnectError (ServerTimeout, ProtocolViolation),
    TLSError, AuthError or ServerRefused. Each command must be answered within the server's
    `timeout` (see tui_mail.remote.wire); no literal over `max_literal` bytes is accepted."""
    wire = Wire(describe(server), server.timeout, max_literal)
    with translated(server):
        try:
            client = _Client(
                wire,
                server.host,
                port=server.port,
                ssl=server.security is Security.TLS,
                ssl_context=ssl_context(server) if server.security is Security.TLS else None,
                timeout=server.timeout,
            )
        except IMAPClientError as exc:
            words = _words(exc)
            if words.upper().startswith(("* BYE", "BYE")):
                raise ProtocolViolation(
                    f"{describe(server)}: the server turned the connection away ({words})"
                ) from None
            raise ProtocolViolation(
                f"{describe(server)}: the server did not greet as an IMAP server ({words})"
            ) from None
        try:
            if server.security is Security.STARTTLS:
                if not client.has_capability("STARTTLS"):
                    raise starttls_missing(server)
                client.starttls(ssl_context(server))
                wire.secured()
            try:
                if creds.oauth2_token:
                    _token_login(client, server, creds)
                else:
                    client.login(creds.username, creds.password or "")
            except LoginError as exc:
                raise auth_failed(server, _words(exc)) from None
            except imapclient.exceptions.IMAPClientAbortError as exc:
                raise ConnectError(
                    f"{describe(server)}: the connection broke during login: {_words(exc)}"
                ) from None
            except IMAPClientError as exc:
                raise ServerRefused(f"{describe(server)}: {_words(exc)}") from None
        except imapclient.exceptions.IMAPClientAbortError as exc:
            _close_quietly(client)
            raise ConnectError(
                f"{describe(server)}: the connection broke before login: {_words(exc)}"
            ) from None
        except IMAPClientError as exc:  # STARTTLS or CAPABILITY broken
            _close_quietly(client)
            raise ProtocolViolation(
                f"{describe(server)}: the server's answer could not be understood ({_words(exc)})"
            ) from None
        except BaseException:
            _close_quietly(client)
            raise
    logger.info("logged in to %s as %s (%s)", describe(server), creds.username,
                "OAuth2 token" if creds.oauth2_token else "password")
    return client


def _token_login(client: imapclient.IMAPClient, server: ServerConfig, creds: Credentials) -> None:
    """AUTHENTICATE with the OAuth2 token; once more with a renewed token if it is refused.

    The server's error challenge (base64 JSON) is read, so the user learns whether the token
    expired or lacks the mail scope, instead of a bare "AUTHENTICATE failed".
    """
    offered = {
        server_text(c).split("=", 1)[1] for c in client.capabilities()
        if server_text(c).upper().startswith("AUTH=")
    }
    mechanism = sasl.choose_mechanism(offered)
    if mechanism is None:
        raise no_token_login(server, offered)
    while True:
        assert creds.oauth2_token is not None
        exchange = sasl.TokenLogin(mechanism, creds.username, creds.oauth2_token, server.host,
                                   server.port)
        try:
            client.sasl_login(mechanism, exchange)
            return
        except LoginError as exc:
            explanation = (sasl.explain_challenge(exchange.refusal)
                           if exchange.refusal is not None else _words(exc))
        if not creds.renewed():
            raise token_refused(server, explanation)
        logger.info("%s refused the OAuth2 token (%s); trying once with a renewed one",
                    describe(server), explanation)


def _close_quietly(client: imapclient.IMAPClient) -> None:
    # Closing a broken connection must not mask the real error.
    with suppress(Exception):
        client.shutdown()


def probe(server: ServerConfig, creds: Credentials) -> list[str]:
    """Log in and return the capabilities the server announces after login."""
    client = connect(server, creds)
    try:
        with _understood(server, "CAPABILITY"), translated(server):
            caps = sorted(server_text(c) for c in client.capabilities())
        with suppress(Exception):  # a LOGOUT the server botches changes nothing
            client.logout()
        return caps
    finally:
        _close_quietly(client)


# What imapclient's parsers raise on an answer they cannot read (a broken LIST, a FETCH
# with a bad literal): the server broke the protocol, it did not refuse anything.
_UNPARSABLE = (imapclient.exceptions.ProtocolError, ValueError, TypeError, IndexError,
               KeyError, AttributeError, UnicodeError)


@contextmanager
def _understood(server: ServerConfig, what: str) -> Iterator[None]:
    """Turn an answer that cannot be parsed (or a connection the server ended with BYE)
    into a user-facing error; refusals (NO, BAD) pass through to the caller's handling."""
    try:
        yield
    except imapclient.exceptions.IMAPClientAbortError:
        raise
    except imapclient.exceptions.ProtocolError as exc:
        raise ProtocolViolation(
            f"{describe(server)}: the server's answer to {what} could not be understood "
            f"({_words(exc)}); the connection was given up") from None
    except _UNPARSABLE as exc:
        raise ProtocolViolation(
            f"{describe(server)}: the server's answer to {what} could not be understood "
            f"({malformed(exc)}); the connection was given up"
        ) from None


# --------------------------------------------------------------------------------------------
# The sync backend: `FetchBackend` (tui_mail.remote.backend) on one IMAPClient.
# --------------------------------------------------------------------------------------------

_APPENDUID = re.compile(rb"\[APPENDUID (\d+) (\d+)\]", re.IGNORECASE)
_FOLDER_MISSING = re.compile(r"TRYCREATE|NONEXISTENT|doesn't exist|does not exist|no such", re.I)


def _gm_msgid(server: ServerConfig, value: object, uid: int) -> int | None:
    """Gmail's X-GM-MSGID (an unsigned 64-bit number) as SQLite stores it (signed: the ones
    above 2**63 wrap round, which keeps them distinct), or None when the server gave none."""
    if value is None:
        return None
    number = _number(server, value, f"the X-GM-MSGID of UID {uid}", high=(1 << 64) - 1)
    return number - (1 << 64) if number > _MODSEQ else number


def _text(value: object) -> str:
    """A name, prefix or delimiter from imapclient (bytes, str or None) as text."""
    if value is None:
        return ""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


_MAX_UID_SET = 10_000_000  # UIDs one VANISHED answer may name


def parse_uid_set(text: str, high: int | None = None) -> list[int]:
    """`1:3,7,9:10` -> [1, 2, 3, 7, 9, 10] (as in VANISHED responses). With `high`, a UID
    above it is a ValueError (a hostile `1:4294967295000` would not fit in memory)."""
    out: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if ":" in part:
            a, b = (int(x) for x in part.split(":", 1))
            lo, hi = min(a, b), max(a, b)
            if high is not None and (hi > high or len(out) + hi - lo > _MAX_UID_SET):
                raise ValueError(f"UID range {lo}:{hi} out of range")
            out.extend(range(lo, hi + 1))
        else:
            out.append(int(part))
            if high is not None and out[-1] > high:
                raise ValueError(f"UID {out[-1]} out of range")
    return out


def uid_set(uids: Iterable[int]) -> str:
    """[1, 2, 3, 7] -> `1:3,7`: compact UID sets keep commands short."""
    ordered = sorted(set(uids))
    parts: list[str] = []
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        parts.append(str(ordered[i]) if i == j else f"{ordered[i]}:{ordered[j]}")
        i = j + 1
    return ",".join(parts)


T = TypeVar("T")
# A FETCH response of `fetch_whole` as servers send it: its items in the order asked, the
# message last (`{size}` ends the line, then the literal, then `)`).
_WHOLE_LINE = re.compile(
    rb"\* \d+ FETCH \(UID (\d+) FLAGS \(([^()]*)\) INTERNALDATE \"([^\"]*)\" RFC822\.SIZE (\d+)"
    rb" BODY\[\] \{(\d+)\}\Z")
_LITERAL_END = re.compile(rb"\{(\d+)\}\Z")
_UNTAGGED = re.compile(rb"\* (?:(\d+) )?([A-Za-z-]+)(?: (.*))?\Z", re.DOTALL)


@functools.lru_cache(maxsize=256)
def _internaldate(text: bytes) -> datetime | None:
    """An INTERNALDATE as imapclient gives it (local time, naive; None when it cannot be
    read); mail delivered together shares the same few."""
    try:
        return parse_to_datetime(text)
    except ValueError:
        return None


# UID SEARCH's one-line answer: each UID up to ten digits and a space, a little more for the
# rest of the line, and never more than SEARCH_LINE_MAX (about 12 million UIDs) in all.
SEARCH_UID_BYTES = 11
SEARCH_SLACK = 64 << 10
SEARCH_LINE_MAX = 128 << 20
_ESEARCH_TAG = re.compile(rb'^\s*\(TAG "[^"]*"\)')


class _WholeParts:
    """The FETCH responses of one `fetch_whole` command put together by UID. A message is
    handed on once its body and its flags, size and date have come, in one response or in
    several (RFC 3501 7.4.2 lets a server split them); one still missing some of them when the
    command ends is handed on with what came. Once a message is handed on (or for a UID not
    asked for), a response with FLAGS is a flag change: a `FlagUpdate`."""

    _WANTED = (b"FLAGS", b"RFC822.SIZE", b"INTERNALDATE")

    def __init__(self, backend: ImapBackend, asked: set[int]) -> None:
        self.backend = backend
        self.asked = asked
        self.handed: set[int] = set()
        self.pending: dict[int, dict[bytes, Any]] = {}  # asked, not handed on: items so far

    def whole(self, uid: int, flags: tuple[bytes, ...], size: int,
              internaldate: datetime | None, raw: bytes) -> list[RemoteMessage | FlagUpdate]:
        """A response with every item (the usual shape, read by `_stream_whole` itself)."""
        if uid in self.asked and uid not in self.handed and uid not in self.pending:
            self.handed.add(uid)
            return [RemoteMessage(uid, Flags.from_imap(flags), self._size(uid, size),
                                  internaldate, raw)]
        return self.add({uid: {b"FLAGS": flags, b"RFC822.SIZE": size,
                               b"INTERNALDATE": internaldate, b"BODY[]": raw}})

    def add(self, responses: Mapping[int, Mapping[bytes, Any]]
            ) -> list[RemoteMessage | FlagUpdate]:
        """FETCH responses parsed by imapclient: their items by UID."""
        out: list[RemoteMessage | FlagUpdate] = []
        for uid, items in responses.items():
            if uid not in self.asked or uid in self.handed:
                if b"FLAGS" in items:
                    out.append(FlagUpdate(uid, Flags.from_imap(items[b"FLAGS"] or ())))
                continue
            merged = self.pending.setdefault(uid, {})
            merged.update(items)
            if isinstance(merged.get(b"BODY[]"), bytes) and all(
                    key in merged for key in self._WANTED):
                out.append(self._message(uid))
        return out

    def rest(self) -> list[RemoteMessage | FlagUpdate]:
        """At the command's end: the messages whose body came without all the rest."""
        return [self._message(uid) for uid in list(self.pending)
                if isinstance(self.pending[uid].get(b"BODY[]"), bytes)]

    def _message(self, uid: int) -> RemoteMessage:
        items = self.pending.pop(uid)
        self.handed.add(uid)
        return RemoteMessage(uid, Flags.from_imap(items.get(b"FLAGS") or ()),
                             self._size(uid, items.get(b"RFC822.SIZE", 0)),
                             items.get(b"INTERNALDATE"), items[b"BODY[]"])

    def _size(self, uid: int, value: object) -> int:
        return _number(self.backend.server, value, f"the size of UID {uid}", high=_MODSEQ)


BODY_FETCH_UIDS = 500  # UIDs per body FETCH command (a short command line, a long answer)
# UIDs per SEARCH, STORE, COPY, MOVE and EXPUNGE: marking a folder read names every unread
# message, and 20,000 scattered UIDs in one command line are refused ("Too long argument").
COMMAND_UIDS = 1000


def _chunks(items: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class ImapBackend:
    """`FetchBackend` over IMAP. Blocking; one instance per thread.

    Uses QRESYNC when offered (flag changes and vanished UIDs in the SELECT answer), else
    CONDSTORE (FETCH ... CHANGEDSINCE for flags, a UID SEARCH diff for vanished), else a full
    UID+FLAGS listing compared by the engine.
    """

    has_folders = True

    def __init__(self, server: ServerConfig, client: imapclient.IMAPClient) -> None:
        self.server = server
        self._client = client
        self._selected: tuple[str, bool] | None = None
        self._broken = False
        try:
            self._setup(client)
        except BaseException:
            _close_quietly(client)
            raise
        self._namespaces: Namespaces | None = None

    def _setup(self, client: imapclient.IMAPClient) -> None:
        with self._guard("CAPABILITY"):
            self.capabilities = frozenset(
                c.decode("ascii", "replace").upper() for c in client.capabilities()
            )
            self.qresync = False
            if "QRESYNC" in self.capabilities and "ENABLE" in self.capabilities:
                enabled = client.enable("QRESYNC")
                self.qresync = any(e.upper() == b"QRESYNC" for e in enabled)
        self.condstore = self.qresync or "CONDSTORE" in self.capabilities
        # Gmail (RFC-less, developers.google.com/gmail/imap/imap-extensions): labels are
        # folders, a message is in each of its labels and in All Mail, X-GM-MSGID names it
        # in all of them. Asked for with the summaries until the server refuses it once.
        self.gmail = "X-GM-EXT-1" in self.capabilities
        self._gm_msgid = self.gmail

    @property
    def line_limit(self) -> int:
        """The longest answer line the connection accepts now: LINE_LIMIT, raised only while
        a large folder's UID SEARCH is read (see _search_uids)."""
        return int(self._client.wire.line_limit)

    @classmethod
    def open(cls, server: ServerConfig, creds: Credentials,
             max_literal: int = DEFAULT_LITERAL_LIMIT) -> ImapBackend:
        """Connect and log in; no literal over `max_literal` bytes is accepted
        (`tui_mail.remote.wire.literal_limit` of the account)."""
        return cls(server, connect(server, creds, max_literal))

    def abort(self) -> None:
        """From another thread: shut the connection down so that a command blocked on it
        fails at once (quitting never waits for a stalled server)."""
        wire = getattr(self._client, "wire", None)
        if isinstance(wire, Wire):
            wire.abort()

    # -- plumbing -----------------------------------------------------------------------------

    def _allowing(self, size: int) -> AbstractContextManager[None]:
        wire = getattr(self._client, "wire", None)
        return wire.allowing(size) if isinstance(wire, Wire) and size else nullcontext()

    @contextmanager
    def _guard(self, what: str) -> Iterator[None]:
        """Turn protocol and socket failures into user-facing errors naming the server."""
        try:
            with translated(self.server), _understood(self.server, what):
                yield
        except imapclient.exceptions.IMAPClientAbortError as exc:
            self._selected = None
            raise ConnectError(
                f"{describe(self.server)}: the connection broke during {what}: {_words(exc)}"
            ) from None
        except IMAPClientError as exc:
            words = _words(exc)
            if getattr(self._client._imap, "state", "") == "LOGOUT":
                # imaplib refuses every command once the connection broke ("command LIST
                # illegal in state LOGOUT"): that is a lost connection, not a refusal.
                self._selected = None
                raise ConnectError(
                    f"{describe(self.server)}: the connection was closed ({what}: {words})"
                ) from None
            words = refusal_words(exc)
            if _FOLDER_MISSING.search(words):
                raise FolderMissing(f"{describe(self.server)}: {what}: {words}") from None
            raise ServerRefused(f"{describe(self.server)}: {what} refused: {words}") from None
        except ConnectError:
            self._selected = None
            self._broken = True  # close() does not wait for a LOGOUT answer then
            raise

    def _select(self, folder: str, readonly: bool) -> dict[bytes, Any]:
        if self._selected == (folder, readonly):
            return {}
        with self._guard(f"selecting {folder!r}"):
            info = self._client.select_folder(folder, readonly=readonly)
        self._selected = (folder, readonly)
        return info

    def _raw(self, name: str, *args: bytes | str) -> tuple[str, list[Any]]:
        """Send a command imapclient cannot phrase (ranges, QRESYNC) and wait for its end."""
        imap = self._client._imap
        tag = imap._command(name, *args)
        typ, data = imap._command_complete(name, tag)
        if typ != "OK":
            raise IMAPClientError(f"{name} failed: {_words(data[0] if data else b'')}")
        return typ, data

    def _fetch_range(self, uid_range: str, items: str, modifiers: str = "") -> dict[int, Any]:
        """UID FETCH over a range string like `1:*` (imapclient's fetch() rejects those)."""
        args = [uid_range, items] + ([modifiers] if modifiers else [])
        typ, data = self._raw("UID", "FETCH", *args)
        typ, data = self._client._imap._untagged_response(typ, data, "FETCH")
        parsed = parse_fetch_response([d for d in data if d is not None], True, True)
        return self._uid_keys(parsed, "UID FETCH")

    def _uid_keys(self, parsed: Mapping[Any, Any], what: str) -> dict[int, Any]:
        """A FETCH answer keyed by UID, each UID checked (a 32-bit number, RFC 3501)."""
        return {_number(self.server, uid, f"a UID in the answer to {what}", low=1): v
                for uid, v in parsed.items() if isinstance(uid, int)}

    def _search_uids(self, criteria: str, exists: int) -> list[int]:
        """`UID SEARCH criteria` in the selected folder of `exists` messages. Its answer is one
        line whatever the folder's size: ESEARCH's ranges (`RETURN (ALL)`, RFC 4731) when the
        server offers it, a few bytes for a folder without gaps; and for this answer a line
        may be as long as `exists` UIDs of ten digits (530k UIDs were past the usual limit),
        never more than SEARCH_LINE_MAX."""
        limit = min(max(LINE_LIMIT, exists * SEARCH_UID_BYTES + SEARCH_SLACK), SEARCH_LINE_MAX)
        wire = getattr(self._client, "wire", None)
        longer = wire.long_lines(limit) if isinstance(wire, Wire) else nullcontext()
        with self._guard("UID SEARCH"), longer:
            if "ESEARCH" not in self.capabilities:
                return list(self._client.search(criteria.split()))
            imap = self._client._imap
            imap.untagged_responses.pop("ESEARCH", None)
            imap.untagged_responses.pop("SEARCH", None)
            self._raw("UID", "SEARCH", "RETURN", "(ALL)", criteria)
            data = imap.untagged_responses.pop("ESEARCH", None)
            plain = imap.untagged_responses.pop("SEARCH", None)
            if data is None:  # read as "no messages", the cache would drop the whole folder
                if plain is None:
                    raise ProtocolViolation(
                        f"{describe(self.server)}: the server answered UID SEARCH RETURN (ALL) "
                        "with no ESEARCH result; the folder was not synced")
                return list(parse_message_list(plain))
            out: list[int] = []
            for item in data:
                if not isinstance(item, bytes):
                    continue
                words = _ESEARCH_TAG.sub(b"", item).split()
                for key, value in zip(words, words[1:], strict=False):
                    if key.upper() == b"ALL":
                        out.extend(parse_uid_set(value.decode("ascii"), _UINT32))
            return out

    def _existing(self, uids: Sequence[int]) -> list[int]:
        found: list[int] = []
        for chunk in _chunks(sorted(set(uids)), COMMAND_UIDS):
            with self._guard("UID SEARCH"):
                found.extend(self._client.search(["UID", uid_set(chunk)]))
        return found

    # -- FetchBackend -------------------------------------------------------------------------

    def _read_namespaces(self) -> Namespaces:
        """The NAMESPACE answer (RFC 2342); without the extension, the user's own folders
        with the delimiter LIST gives for INBOX."""
        if "NAMESPACE" in self.capabilities:
            try:
                with self._guard("NAMESPACE"):
                    answer = self._client.namespace()
            except ServerRefused:  # announced but refused: as without it
                answer = None

            def spaces(part: Any) -> tuple[Namespace, ...]:
                return tuple(Namespace(_text(prefix), _text(delimiter))
                             for prefix, delimiter in (part or ()))

            if answer is not None:
                found = Namespaces(spaces(answer.personal), spaces(answer.other),
                                   spaces(answer.shared))
                if found.personal:
                    return found
        with self._guard("LIST"):
            listed = self._client.list_folders("", "INBOX")
        delimiter = _text(listed[0][1]) if listed else "/"
        return Namespaces((Namespace("", delimiter),))

    @property
    def namespaces(self) -> Namespaces:
        if self._namespaces is None:
            self._namespaces = self._read_namespaces()
        return self._namespaces

    def list_folders(self, known_ids: Mapping[str, str] | None = None) -> list[RemoteFolder]:
        """Every folder the server lists, with its namespace and role (`folder_roles`). With
        OBJECTID (RFC 8474) each selectable folder's MAILBOXID too, so that a rename is seen:
        asked (one STATUS each) only for names not in `known_ids` (name -> id the cache has),
        so a steady list of a thousand folders costs no extra round trip."""
        folders = self._listed()
        if "OBJECTID" not in self.capabilities:
            return folders
        known = known_ids or {}
        return [replace(f, mailboxid=known.get(f.name) or self.mailbox_id(f.name))
                if f.selectable else f for f in folders]

    def _listed(self) -> list[RemoteFolder]:
        with self._guard("LIST"):
            listing = self._client.list_folders()
        answers = [([bytes(f) for f in flags], _text(delimiter), _text(name))
                   for flags, delimiter, name in listing]
        return classify(answers, self.namespaces, by_name=not self.gmail)

    def mailbox_id(self, folder: str) -> str:
        """The folder's MAILBOXID (RFC 8474), or "" (no OBJECTID, or the server gave none)."""
        if "OBJECTID" not in self.capabilities:
            return ""
        try:
            with self._guard(f"STATUS {folder!r}"):
                answer = self._client.folder_status(folder, ["MAILBOXID"])
        except ServerRefused:
            return ""  # listed but gone, or refused: a rename just cannot be followed
        # A lost connection is not swallowed (ConnectError): the list is tried again.
        value = answer.get(b"MAILBOXID")
        if isinstance(value, tuple | list):
            value = value[0] if value else b""
        return _text(value) if value else ""

    def status(self, folder: str) -> FolderStatus:
        what = ["MESSAGES", "UNSEEN", "UIDNEXT", "UIDVALIDITY"]
        if self.condstore:
            what.append("HIGHESTMODSEQ")
        with self._guard(f"STATUS {folder!r}"):
            st = self._client.folder_status(folder, what)
        def num(key: bytes, high: int = _UINT32) -> int:
            return _number(self.server, st.get(key, 0), f"{key.decode()} of {folder!r}",
                           high=high)

        return FolderStatus(
            messages=num(b"MESSAGES"),
            unseen=num(b"UNSEEN"),
            uidnext=num(b"UIDNEXT"),
            uidvalidity=num(b"UIDVALIDITY"),
            highestmodseq=num(b"HIGHESTMODSEQ", _MODSEQ),
        )

    def _select_qresync(
        self, folder: str, state: FolderSyncState
    ) -> tuple[dict[bytes, Any], list[int], dict[int, Any]]:
        """EXAMINE folder (QRESYNC (uidvalidity modseq)): select info, vanished UIDs, FETCHes."""
        imap = self._client._imap
        imap.untagged_responses = {}
        self._selected = None
        arg = f"(QRESYNC ({state.uidvalidity} {state.highestmodseq}))"
        with self._guard(f"selecting {folder!r}"):
            self._raw("EXAMINE", self._client._normalise_folder(folder), arg)
            imap.state = "SELECTED"
            untagged = imap.untagged_responses
            vanished_raw = untagged.pop("VANISHED", [])
            fetch_raw = untagged.pop("FETCH", [])
            info = self._client._process_select_response(untagged)
            imap.untagged_responses = {}
        self._selected = (folder, True)
        vanished: list[int] = []
        with self._guard(f"selecting {folder!r}"):
            for item in vanished_raw:
                text = item.decode("ascii", "replace") if isinstance(item, bytes) else str(item)
                uids = parse_uid_set(text.replace("(EARLIER)", "").strip(), _UINT32)
                vanished.extend(uids)
            fetched = parse_fetch_response([d for d in fetch_raw if d is not None], True, True)
        return info, vanished, self._uid_keys(fetched, f"selecting {folder!r}")

    def changes_since(
        self, folder: str, state: FolderSyncState, known: KnownUids
    ) -> FolderChanges:
        use_qresync = bool(self.qresync and state.uidvalidity and state.highestmodseq and known)
        vanished: list[int] = []
        fetched: dict[int, Any] = {}
        if use_qresync:
            info, vanished, fetched = self._select_qresync(folder, state)
        else:
            self._selected = None
            info = self._select(folder, readonly=True)
        where = f"in the answer to selecting {folder!r}"
        uidvalidity = _number(self.server, info.get(b"UIDVALIDITY", 0), f"a UIDVALIDITY {where}")
        uidnext = _number(self.server, info.get(b"UIDNEXT", 0), f"a UIDNEXT {where}")
        modseq = _number(self.server, info.get(b"HIGHESTMODSEQ", 0),
                         f"a HIGHESTMODSEQ {where}", high=_MODSEQ) if self.condstore else 0
        new_state = FolderSyncState(uidvalidity, uidnext, modseq)
        exists = _number(self.server, info.get(b"EXISTS", 0), f"an EXISTS count {where}")
        reset = bool(state.uidvalidity) and state.uidvalidity != uidvalidity
        changes = FolderChanges(state=new_state, reset=reset)
        if exists == 0:
            changes.vanished = [] if reset else sorted(known.all())
            return changes

        if use_qresync and not reset:
            # The SELECT answer carried every flag change and expunge since our modseq: look
            # up only the UIDs it names, so no news costs the same at any folder size.
            changes.vanished = sorted(known.subset(vanished))
            with_flags = known.subset(uid for uid, v in fetched.items() if b"FLAGS" in v)
            changes.flags = {
                uid: Flags.from_imap(fetched[uid].get(b"FLAGS", ())) for uid in with_flags
            }
            since = max(state.uidnext, 1)
            recent = self._search_uids(f"UID {since}:*", exists) if uidnext > since else []
            changes.new_uids = sorted(set(recent) - known.subset(recent))
            return changes

        cached = set() if reset else known.all()
        if self.condstore and state.highestmodseq and cached and not reset:
            server_uids = set(self._search_uids("ALL", exists))
            with self._guard("UID FETCH CHANGEDSINCE"):
                changed = self._fetch_range(
                    "1:*", "(UID FLAGS)", f"(CHANGEDSINCE {state.highestmodseq})"
                )
            changes.flags = {
                uid: Flags.from_imap(v.get(b"FLAGS", ()))
                for uid, v in changed.items()
                if uid in cached and b"FLAGS" in v
            }
        elif not cached:
            # Nothing cached (a new folder, or one reset): its UIDs are all that is needed,
            # each new message's flags come with its fetch. A listing of every UID and its
            # flags cost a CPU-second at 10k messages (imapclient's parser).
            server_uids = set(self._search_uids("ALL", exists))
        else:
            # No CONDSTORE (or nothing known yet): one listing of every UID and its flags.
            with self._guard("UID FETCH FLAGS"):
                listing = self._fetch_range("1:*", "(UID FLAGS)")
            server_uids = set(listing)
            changes.flags = {
                uid: Flags.from_imap(v.get(b"FLAGS", ()))
                for uid, v in listing.items()
                if uid in cached
            }
        changes.vanished = sorted(cached - server_uids)
        changes.new_uids = sorted(server_uids - cached)
        return changes

    def fetch_summaries(
        self, folder: str, uids: Sequence[int], batch: int = 1000
    ) -> Iterator[list[RemoteSummary]]:
        self._select(folder, readonly=True)
        fields = " ".join(SUMMARY_HEADER_FIELDS)
        items = ["UID", "FLAGS", "INTERNALDATE", "RFC822.SIZE", f"BODY.PEEK[HEADER.FIELDS ({fields})]"]
        for chunk in _chunks(list(uids), batch):
            data = self._fetch_summary_items(chunk, items)
            with self._guard("FETCH summaries"):
                asked = set(chunk)
                sizes = {uid: _number(self.server, item.get(b"RFC822.SIZE", 0),
                                      f"the size of UID {uid}", high=_MODSEQ)
                         for uid, item in data.items() if uid in asked}
                gm_msgids = {uid: _gm_msgid(self.server, item.get(b"X-GM-MSGID"), uid)
                             for uid, item in data.items() if uid in asked}
            out = []
            for uid in chunk:
                item = data.get(uid)
                if item is None:
                    continue  # expunged meanwhile
                header = next((v for k, v in item.items() if k.startswith(b"BODY[HEADER")), b"")
                out.append(
                    RemoteSummary(
                        uid=uid,
                        flags=Flags.from_imap(item.get(b"FLAGS", ())),
                        size=sizes.get(uid, 0),
                        internaldate=item.get(b"INTERNALDATE"),
                        header=header or b"",
                        gm_msgid=gm_msgids.get(uid),
                    )
                )
            yield out

    def _fetch_summary_items(self, uids: Sequence[int], items: list[str]) -> dict[int, Any]:
        """FETCH `items` (and X-GM-MSGID from Gmail). A server that announces X-GM-EXT-1 but
        refuses X-GM-MSGID (a look-alike) is asked without it, from then on."""
        if self._gm_msgid:
            try:
                with self._guard("FETCH summaries"):
                    return self._client.fetch(list(uids), [*items, "X-GM-MSGID"])
            except ServerRefused as exc:
                logger.info("%s; summaries are fetched without X-GM-MSGID", exc)
                self._gm_msgid = False
        with self._guard("FETCH summaries"):
            return self._client.fetch(list(uids), items)

    def fetch_bodies(self, folder: str, uids: Sequence[int],
                     agreed_size: int = 0) -> Iterator[tuple[int, bytes]]:
        """Whole messages, each handed on as soon as it is read (a FETCH of many UIDs is
        never held in memory whole). A folder selected a while ago may not show mail that
        arrived since (the server announces it with the next command's answer, after the
        FETCH): UIDs missing from the answer are asked again once, after a fresh SELECT.
        `agreed_size` (a message the user chose to download, of that listed size) raises the
        literal limit for these FETCHes to it.

        The time the caller spends between two messages is not the server's: each message
        read starts the command's deadline again. A caller that stops early leaves the rest
        of the answer to be read (and dropped) when the generator is closed."""
        fresh = self._selected != (folder, True)
        self._select(folder, readonly=True)
        for chunk in _chunks(list(uids), BODY_FETCH_UIDS):
            got: set[int] = set()
            for uid, raw in self._stream_bodies(chunk, agreed_size):
                got.add(uid)
                yield uid, raw
            missing = [uid for uid in chunk if uid not in got]
            if missing and not fresh:
                self._selected = None
                self._select(folder, readonly=True)
                fresh = True
                yield from self._stream_bodies(missing, agreed_size)

    def fetch_whole(self, folder: str,
                    uids: Sequence[int]) -> Iterator[RemoteMessage | FlagUpdate]:
        """Whole messages with their flags, INTERNALDATE and listed size, in one `UID FETCH`
        per BODY_FETCH_UIDS UIDs, each handed on as soon as it is read (the first sync of a
        folder with `--bodies`: no header pass before the bodies). Never sets \\Seen. The
        answers come in the server's order (by sequence number), not the order of `uids`;
        UIDs expunged meanwhile are left out.

        A server may answer for one message in several FETCH responses (RFC 3501 7.4.2):
        their items are put together before the message is handed on. A flag change the
        server slips in for a message already handed on, or for one not asked for, is handed
        on as a `FlagUpdate` (the caller applies it to what it cached). A caller that stops
        early leaves the rest of the answer to be read when the generator is closed."""
        self._select(folder, readonly=True)
        for chunk in _chunks(list(uids), BODY_FETCH_UIDS):
            yield from self._stream_whole(chunk)

    def _stream_whole(self, uids: Sequence[int]) -> Iterator[RemoteMessage | FlagUpdate]:
        """One `UID FETCH set (UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[])`, read here
        rather than by imaplib's `_get_response`: each message as servers send it (its items
        in the order asked, the body last) is one line matched, its literal read and its
        `)` line, which cost half the CPU of imaplib's way (its regular expressions, debug
        checks and lists of untagged responses, per message). Anything else is read as
        imaplib reads it: a FETCH of another shape is parsed by imapclient (`_fetch_items`)
        and put together with the other responses for its UID (`_WholeParts`), other
        untagged responses are kept for imaplib, the tagged one ends the command."""
        imap = self._client._imap
        parts = _WholeParts(self, set(uids))
        with self._guard("FETCH bodies"):
            tag = imap._command("UID", "FETCH", uid_set(uids),
                                "(UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[])")

        def step() -> tuple[list[RemoteMessage | FlagUpdate], bool]:
            with self._guard("FETCH bodies"):
                line = imap._get_line()
                m = _WHOLE_LINE.match(line)
                if m is not None:
                    raw = imap.read(int(m[5]))
                    trailer = imap._get_line()
                    if trailer == b")":
                        uid = _number(self.server, int(m[1]),
                                      "a UID in the answer to FETCH bodies", low=1)
                        return parts.whole(uid, tuple(m[2].split()), int(m[4]),
                                           _internaldate(m[3]), raw), False
                    # more items after the body: imapclient reads them
                    number, _, rest = line[2:].partition(b" ")
                    first = number + b" " + rest.partition(b" ")[2]
                    return parts.add(self._fetch_items(self._rest_of(first, raw, trailer))), False
                if line.startswith(tag + b" "):
                    imap.tagged_commands.pop(tag, None)
                    _, _, rest = line.partition(b" ")
                    typ, _, words = rest.partition(b" ")
                    if typ != b"OK":
                        raise IMAPClientError(f"FETCH failed: {_words(words)}")
                    return parts.rest(), True
                if line.startswith(b"* "):
                    found = parts.add(self._untagged(line))
                    imap._check_bye()
                    return found, False
                raise imapclient.exceptions.IMAPClientAbortError(
                    f"unexpected response: {line[:80]!r}")

        yield from self._read_fetch(tag, step)  # a generator: the command goes out when read

    def _rest_of(self, first: bytes, raw: bytes, trailer: bytes) -> list[Any]:
        """The parts of a FETCH response whose literal is followed by more items (and
        perhaps more literals), read as imaplib reads them."""
        imap = self._client._imap
        parts: list[Any] = [(first, raw)]
        dat = trailer
        while (literal := _LITERAL_END.search(dat)) is not None:
            parts.append((dat, imap.read(int(literal[1]))))
            dat = imap._get_line()
        parts.append(dat)
        return parts

    def _untagged(self, line: bytes) -> dict[int, Any]:
        """An untagged response met in `_stream_whole` that is not a whole message in the
        usual shape: a FETCH is parsed by imapclient (its items by UID), anything else is
        kept for imaplib (a BYE among them, which ends the connection)."""
        imap = self._client._imap
        m = _UNTAGGED.match(line)
        if m is None:
            raise imapclient.exceptions.IMAPClientAbortError(
                f"unexpected response: {line[:80]!r}")
        number, name, rest = m[1], m[2], m[3] or b""
        if name.upper() == b"FETCH" and number:
            first = number + b" " + rest
            literal = _LITERAL_END.search(first)
            if literal is None:
                return self._fetch_items([first])  # no literal: flags, size, date ...
            raw = imap.read(int(literal[1]))
            return self._fetch_items(self._rest_of(first, raw, imap._get_line()))
        data = (number + (b" " + rest if rest else b"")) if number else rest
        while (literal := _LITERAL_END.search(data)) is not None:  # kept whole for imaplib
            imap._append_untagged(name.decode("ascii", "replace").upper(),
                                  (data, imap.read(int(literal[1]))))
            data = imap._get_line()
        imap._append_untagged(name.decode("ascii", "replace").upper(), data)
        return {}

    def _fetch_items(self, items: list[Any]) -> dict[int, Any]:
        """FETCH responses in a shape `_stream_whole` does not read itself, by imapclient's
        parser: their items by UID (a response without a UID cannot be told apart)."""
        return self._uid_keys(parse_fetch_response(
            [d for d in items if d is not None], True, True), "FETCH bodies")

    def uids_larger(self, folder: str, size: int) -> list[int]:
        """The UIDs of the folder's messages over `size` bytes (UID SEARCH LARGER)."""
        self._select(folder, readonly=True)
        with self._guard("UID SEARCH"):
            return sorted(self._client.search(["LARGER", str(size)]))

    def _stream_bodies(self, uids: Sequence[int],
                       agreed_size: int) -> Iterator[tuple[int, bytes]]:
        return self._stream(uids, "(UID BODY.PEEK[])", agreed_size, self._bodies_in)

    def _stream(self, uids: Sequence[int], items: str, agreed_size: int,
                pick: Callable[[list[Any], set[int]], list[T]]) -> Iterator[T]:
        """One `UID FETCH set items`, read one response at a time (imaplib reads a
        response with its literals and trailer in one `_get_response`). Only the UIDs asked
        for are handed on (`pick`); a flag change the server slips in is not a body."""
        imap = self._client._imap
        asked = set(uids)
        with self._guard("FETCH bodies"):
            tag = imap._command("UID", "FETCH", uid_set(uids), items)

        def step() -> tuple[list[T], bool]:
            with self._guard("FETCH bodies"), self._allowing(agreed_size):
                imap._check_bye()
                if imap.tagged_commands[tag] is None:
                    imap._get_response()
                got = imap.untagged_responses.pop("FETCH", None)
                found = pick(got, asked) if got else []
                if imap.tagged_commands[tag] is None:
                    return found, False
                typ, data = imap.tagged_commands.pop(tag)
                if typ != "OK":
                    raise IMAPClientError(f"FETCH failed: {_words(data[0] if data else b'')}")
                return found, True

        yield from self._read_fetch(tag, step)  # a generator: the command goes out when read

    def _read_fetch(self, tag: bytes, step: Callable[[], tuple[list[T], bool]]) -> Iterator[T]:
        """Hand on what each `step` of reading the answer to the FETCH `tag` found, until it
        says the command is done. Left early (the caller stops), the rest of the answer is
        read and dropped so the connection stays in step; after an error it is not read any
        further (a timeout would only repeat)."""
        wire = getattr(self._client, "wire", None)
        done = failed = False
        try:
            while not done:
                found, done = step()
                for one in found:
                    yield one
                    if isinstance(wire, Wire):
                        wire.start("FETCH bodies")  # the caller's time is not the server's
        except (TuiMailError, IMAPClientError):
            failed = True
            raise
        finally:
            if not done and not failed:
                self._drain(tag)

    def _bodies_in(self, items: list[Any], asked: set[int]) -> list[tuple[int, bytes]]:
        parsed = self._uid_keys(parse_fetch_response(
            [d for d in items if d is not None], True, True), "FETCH bodies")
        return [(uid, v[b"BODY[]"]) for uid, v in parsed.items()
                if uid in asked and isinstance(v.get(b"BODY[]"), bytes)]

    def _drain(self, tag: bytes) -> None:
        """Read (and drop) the rest of a FETCH answer the caller stopped reading, so the
        connection is in step for the next command; a failure leaves it broken."""
        imap = self._client._imap
        try:
            with self._guard("FETCH bodies"):
                while imap.tagged_commands.get(tag) is None:
                    imap._get_response()
                    imap.untagged_responses.pop("FETCH", None)
                imap.tagged_commands.pop(tag, None)
        except ConnectError:
            pass  # _guard marked the connection broken: the next command reconnects

    def _writable(self, folder: str, uids: Sequence[int], what: str) -> list[int]:
        """Select read-write; return the UIDs that still exist, or raise MessagesGone."""
        self._select(folder, readonly=False)
        present = self._existing(uids)
        if not present:
            raise MessagesGone(
                f"{describe(self.server)}: {what}: the message is no longer in {folder!r} on the server"
            )
        return present

    def set_flags(self, folder: str, uids: Sequence[int], flags: Iterable[str], add: bool) -> None:
        present = self._writable(folder, uids, "changing flags")
        store = self._client.add_flags if add else self._client.remove_flags
        for chunk in _chunks(present, COMMAND_UIDS):
            with self._guard("STORE"):
                store(uid_set(chunk), list(flags), silent=True)

    def _require_folder(self, target: str) -> None:
        with self._guard("LIST"):
            if not self._client.folder_exists(target):
                raise FolderMissing(
                    f"{describe(self.server)}: the folder {target!r} does not exist on the server"
                )

    def copy(self, folder: str, uids: Sequence[int], target: str) -> None:
        present = self._writable(folder, uids, "copying")
        self._require_folder(target)
        for chunk in _chunks(present, COMMAND_UIDS):
            with self._guard(f"COPY to {target!r}"):
                self._client.copy(uid_set(chunk), target)

    def move(self, folder: str, uids: Sequence[int], target: str) -> None:
        present = self._writable(folder, uids, "moving")
        self._require_folder(target)
        for chunk in _chunks(present, COMMAND_UIDS):
            with self._guard(f"MOVE to {target!r}"):
                if "MOVE" in self.capabilities:
                    self._client.move(uid_set(chunk), target)
                    continue
                self._client.copy(uid_set(chunk), target)
            self._expunge_uids(chunk)

    def delete(self, folder: str, uids: Sequence[int]) -> None:
        present = self._writable(folder, uids, "deleting")
        self._expunge_uids(present)

    def _expunge_uids(self, uids: Sequence[int]) -> None:
        for chunk in _chunks(list(uids), COMMAND_UIDS):
            with self._guard("EXPUNGE"):
                self._client.add_flags(uid_set(chunk), [imapclient.DELETED], silent=True)
                if "UIDPLUS" in self.capabilities:
                    self._client.uid_expunge(uid_set(chunk))
        if "UIDPLUS" not in self.capabilities:
            with self._guard("EXPUNGE"):
                self._client.expunge()

    def append(
        self, folder: str, raw: bytes, flags: Iterable[str] = (), when: datetime | None = None
    ) -> int | None:
        with self._guard(f"APPEND to {folder!r}"):
            answer = self._client.append(folder, raw, tuple(flags), when)
        match = _APPENDUID.search(answer if isinstance(answer, bytes) else str(answer).encode())
        return int(match.group(2)) if match else None

    def create_folder(self, name: str, *, subscribe: bool = False) -> None:
        """CREATE `name`; with `subscribe`, as a folder the user makes: one that exists
        already is fine (another client made it meanwhile), and it is subscribed, as
        Thunderbird and NeoMutt do (a subscription the server refuses is only logged)."""
        try:
            with self._guard(f"CREATE {name!r}"):
                self._client.create_folder(name)
        except ServerRefused:
            if not subscribe or not self._exists(name):
                raise
        if subscribe:
            self._subscribe_quietly([name], True)

    def rename_folder(self, old: str, new: str) -> None:
        """RENAME `old` (with its subfolders, RFC 3501) to `new`; the subscriptions of the
        folder and its subfolders follow it (not every server moves them itself)."""
        subscribed = self._subscribed_under(old)
        self._deselect(old)
        with self._guard(f"RENAME {old!r} to {new!r}"):
            self._client.rename_folder(old, new)
        if subscribed:
            self._subscribe_quietly([new + name[len(old):] for name in subscribed], True)
            self._subscribe_quietly(subscribed, False)

    def delete_folder(self, name: str) -> None:
        """DELETE `name` (its messages go with it), and its subscription."""
        self._deselect(name)
        with self._guard(f"DELETE {name!r}"):
            self._client.delete_folder(name)
        self._subscribe_quietly([name], False)

    def subscribe_folder(self, name: str, subscribe: bool = True) -> None:
        """SUBSCRIBE or UNSUBSCRIBE `name`."""
        verb = "SUBSCRIBE" if subscribe else "UNSUBSCRIBE"
        with self._guard(f"{verb} {name!r}"):
            if subscribe:
                self._client.subscribe_folder(name)
            else:
                self._client.unsubscribe_folder(name)

    def subscribed_folders(self) -> set[str]:
        """The names the user is subscribed to (LSUB); some may not exist any more."""
        with self._guard("LSUB"):
            listing = self._client.list_sub_folders()
        return {_text(name) for _flags, _delimiter, name in listing}

    def _exists(self, name: str) -> bool:
        with self._guard(f"LIST {name!r}"):
            return bool(self._client.folder_exists(name))

    def _subscribed_under(self, name: str) -> list[str]:
        """`name` and its subfolders among the subscriptions ([] when LSUB is refused)."""
        try:
            subscribed = self.subscribed_folders()
        except ServerRefused:
            return []
        delimiter = self.namespaces.own.delimiter or "/"
        return sorted(s for s in subscribed if s == name or s.startswith(name + delimiter))

    def _subscribe_quietly(self, names: Sequence[str], subscribe: bool) -> None:
        for name in names:
            try:
                self.subscribe_folder(name, subscribe)
            except ServerRefused as exc:
                logger.info("%s", exc)

    def _deselect(self, name: str) -> None:
        """Leave `name` (or a subfolder of it) if it is selected: some servers refuse to
        rename or delete the selected folder."""
        if self._selected is None or not self._selected[0].startswith(name) \
                or name.upper() == "INBOX":
            return
        if "UNSELECT" in self.capabilities:
            with self._guard("UNSELECT"):
                self._client.unselect_folder()
            self._selected = None
        else:  # not CLOSE: it would expunge what other clients marked \Deleted
            self._selected = None
            self._select("INBOX", readonly=True)

    def role_folder(self, role: FolderRole, configured: str | None = None) -> str:
        """The folder for `role`: the configured name, else the one LIST marks with the
        SPECIAL-USE flag (RFC 6154), else the one named as usual, else the usual name inside
        the personal namespace ("INBOX.Sent" on Courier), to be created."""
        if configured:
            return configured
        folders = [f for f in self._listed() if f.role is role]
        return folders[0].name if folders else self.namespaces.folder_name(
            DEFAULT_ROLE_NAMES[role])

    def ensure_folder(self, name: str) -> None:
        """Create `name` unless it exists (Sent or Drafts on a fresh account), subscribed."""
        if not self._exists(name):
            self.create_folder(name, subscribe=True)

    def find_message_id(self, folder: str, message_id: str) -> list[int]:
        """UIDs in `folder` whose Message-ID header is `message_id` (an empty list if the
        folder does not exist)."""
        if not message_id:
            return []
        with self._guard(f"LIST {folder!r}"):
            if not self._client.folder_exists(folder):
                return []
        self._select(folder, readonly=True)
        with self._guard(f"SEARCH in {folder!r}"):
            return sorted(self._client.search(["HEADER", "Message-ID", message_id]))

    def close(self) -> None:
        if not self._broken:
            with suppress(Exception):  # a dead connection is being closed anyway
                self._client.logout()
        _close_quietly(self._client)

    # -- IDLE (used by sync.watcher on its own connection) --------------------------------------

    def idle_start(self, folder: str) -> None:
        self._select(folder, readonly=True)
        with self._guard("IDLE"):
            self._client.idle()

    def idle_wait(self, timeout: float) -> list[Any]:
        """Responses received while idling, waiting at most `timeout` seconds. A connection
        the server closed raises ConnectError. (imapclient's `idle_check` reads until the
        socket would block and swallows end-of-file: a watcher using it would wait on a dead
        connection for ever, which is how IDLE never came back after a server restart.)"""
        client = self._client
        sock = client.socket()
        with self._guard("IDLE"):
            wire = getattr(client, "wire", None)
            pending = getattr(sock, "pending", lambda: 0)() or (
                isinstance(wire, Wire) and wire.buffered)
            if not pending and not select.select([sock], [], [], timeout)[0]:
                return []
            sock.setblocking(False)
            try:
                responses = []
                while True:
                    try:
                        line = client._imap._get_line()  # "EOF" when nothing was read
                    except (BlockingIOError, ssl.SSLWantReadError, TimeoutError):
                        break
                    except imapclient.exceptions.IMAPClientAbortError:
                        # A plain socket with nothing more to read looks the same to
                        # imaplib as one the server closed: ask the socket which it is.
                        if isinstance(sock, ssl.SSLSocket) or _closed(sock):
                            raise
                        break
                    responses.append(_parse_untagged(line))
                return responses
            finally:
                sock.setblocking(True)
                client._set_read_timeout()

    def idle_stop(self) -> list[Any]:
        with self._guard("IDLE DONE"):
            _text, responses = self._client.idle_done()
        return list(responses)
