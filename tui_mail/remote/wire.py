"""Reading a server's answers with bounds: what the IMAP and POP3 adapters read through.

imaplib and poplib read with a socket timeout alone, which a server that sends one byte every
few seconds never trips, and allocate whatever size a literal announces (`{99999999999}` is a
MemoryError). `Wire` replaces their reading with one that keeps:

- a deadline per command: an answer must be complete within `timeout` seconds of the command
  being sent, plus `timeout` more for each MiB received (a large FETCH is slow for its size,
  not stalled), and never more than `MAX_STRETCH` times `timeout` in all. Each receive waits at
  most what is left, so a trickle ends in `ServerTimeout` like a silence does;
- a limit on a line (`LINE_LIMIT`) and on a literal or a multi-line answer (`literal_limit`,
  from the account's `body_size_cap` and `body_ask_above`), checked before anything is
  allocated: more is a `ProtocolViolation`, whatever the server announces.

The buffer is the Wire's own, so the socket may also be closed from another thread (`abort`):
a receive blocked in it returns at once, which is how quitting never waits for the network.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from tui_mail.errors import ProtocolViolation, ServerTimeout
from tui_mail.model import Account

LINE_LIMIT = 4 << 20  # bytes: a greeting never needs it; a UID SEARCH of a large folder gets
# more (`Wire.long_lines`, in proportion to the folder's size)
MIN_LITERAL = 1 << 20
LITERAL_SLACK = 64 << 10
DEFAULT_LITERAL_LIMIT = 25_000_000 + LITERAL_SLACK  # the default body_ask_above
EARN_BYTES = 1 << 20  # received bytes that earn the command one more `timeout`
MAX_STRETCH = 20  # a command never lasts more than this many times `timeout`
_CHUNK = 64 << 10


def literal_limit(body_size_cap: int = 0, body_ask_above: int = 0) -> int:
    """The largest literal (or POP3 message) accepted: what the account may download (its
    `body_size_cap`, or up to `body_ask_above` when a message is opened), never less than
    1 MiB, and never what the server announces."""
    return max(MIN_LITERAL, body_size_cap, body_ask_above) + LITERAL_SLACK


def account_literal_limit(account: Account) -> int:
    """The largest literal (or POP3 message) the account's connections accept."""
    return literal_limit(account.body_size_cap, account.body_ask_above)


def _size(n: int) -> str:
    if n >= 1 << 20:
        return f"{n / (1 << 20):,.1f} MiB"
    return f"{n:,} bytes"


class Wire:
    """The receiving side of one connection. `where` names the server in errors."""

    def __init__(self, where: str, timeout: float | None, literal_limit: int,
                 line_limit: int = LINE_LIMIT) -> None:
        self.where = where
        self.timeout = timeout if timeout and timeout > 0 else 30.0
        self.literal_limit = literal_limit
        self.line_limit = line_limit
        self._buf = bytearray()
        self._scanned = 0  # bytes of _buf known to hold no line end
        self.aborted = False
        self.sock: socket.socket | None = None
        self.start("the greeting")

    # -- the deadline ----------------------------------------------------------------------

    def start(self, what: str) -> None:
        """A command was sent (or the connection opened): its answer's deadline starts."""
        now = time.monotonic()
        self.what = what
        self._deadline = now + self.timeout
        self._hard = now + self.timeout * MAX_STRETCH
        self._earned = 0

    def _timed_out(self) -> ServerTimeout:
        return ServerTimeout(
            f"{self.where}: no complete answer to {self.what} within the time allowed "
            f"(timeout = {self.timeout:g} s): the server stalled or sends too slowly; "
            "the connection was given up"
        )

    @property
    def buffered(self) -> bool:
        """A whole line received and not read yet (a select() on the socket would not see it).
        Part of a line is not: reading it would wait for the rest, which select() waits for
        (a server that sent half a line and stopped kept an IDLE loop spinning)."""
        return b"\n" in self._buf

    def secured(self) -> None:
        """TLS was just started on the connection (STARTTLS, STLS): anything received before it
        and not read yet came in clear text, where anyone on the way could have put it, and
        must never be read as if it came over TLS."""
        if self._buf:
            self._buf.clear()
            self._scanned = 0
            raise ProtocolViolation(
                f"{self.where}: the server sent more after agreeing to start TLS, in clear text "
                "(an attempt to inject answers?); the connection was given up"
            )

    def abort(self) -> None:
        """Unblock a receive in another thread: the socket is shut down, reads then fail."""
        self.aborted = True
        if self.sock is not None:
            with suppress(OSError):
                self.sock.shutdown(socket.SHUT_RDWR)

    def _fill(self, sock: socket.socket) -> bool:
        """Receive more into the buffer; False at end of file."""
        self.sock = sock
        timeout = sock.gettimeout()
        if timeout != 0.0:  # a non-blocking socket (IDLE's polling) keeps its mode
            left = min(self._deadline, self._hard) - time.monotonic()
            if left <= 0:
                raise self._timed_out()
            sock.settimeout(min(self.timeout, left))
        try:
            data = sock.recv(_CHUNK)
        except TimeoutError:
            raise self._timed_out() from None
        if not data:
            return False
        self._buf += data
        self._earned += len(data)
        while self._earned >= EARN_BYTES:
            self._earned -= EARN_BYTES
            self._deadline += self.timeout
        return True

    # -- reading -----------------------------------------------------------------------------

    def readline(self, sock: socket.socket) -> bytes:
        """One line with its end; what is left at end of file (b"" when nothing)."""
        while True:
            end = self._buf.find(b"\n", self._scanned)
            if end >= 0:
                line = bytes(self._buf[: end + 1])
                del self._buf[: end + 1]
                self._scanned = 0
                return line
            self._scanned = len(self._buf)
            if len(self._buf) > self.line_limit:
                self._buf.clear()
                self._scanned = 0
                raise ProtocolViolation(
                    f"{self.where}: the server sent a line of more than "
                    f"{_size(self.line_limit)} in answer to {self.what}; the connection was "
                    "given up"
                )
            if not self._fill(sock):
                line = bytes(self._buf)
                self._buf.clear()
                self._scanned = 0
                return line

    @contextmanager
    def allowing(self, size: int) -> Iterator[None]:
        """A larger literal for the commands of the block: a message the user agreed to
        download at the size the server listed for it (with a little room for the difference
        between RFC822.SIZE and what is sent), never more."""
        saved = self.literal_limit
        self.literal_limit = max(saved, size + size // 16 + LITERAL_SLACK)
        try:
            yield
        finally:
            self.literal_limit = saved

    @contextmanager
    def long_lines(self, limit: int) -> Iterator[None]:
        """A longer line for the commands of the block: an answer that is one line whatever
        the folder's size (a UID SEARCH), at a limit the caller sets in proportion to it."""
        saved = self.line_limit
        self.line_limit = max(saved, limit)
        try:
            yield
        finally:
            self.line_limit = saved

    def check_literal(self, size: int) -> None:
        if size > self.literal_limit:
            raise ProtocolViolation(
                f"{self.where}: the server announced {_size(size)} of data in answer to "
                f"{self.what}, more than the limit of {_size(self.literal_limit)} (set by the "
                "account's body_size_cap and body_ask_above); the connection was given up"
            )

    def read(self, sock: socket.socket, size: int) -> bytes:
        """`size` bytes (fewer at end of file), after checking `size` against the limit."""
        self.check_literal(size)
        while len(self._buf) < size:
            if not self._fill(sock):
                break
        data = bytes(self._buf[:size])
        del self._buf[:size]
        self._scanned = 0
        return data

    def too_long(self, total: int) -> ProtocolViolation:
        """For a multi-line answer (a POP3 message) that grew past the literal limit."""
        return ProtocolViolation(
            f"{self.where}: the answer to {self.what} grew past the limit of "
            f"{_size(self.literal_limit)} ({_size(total)} received; the limit is set by the "
            "account's body_size_cap and body_ask_above); the connection was given up"
        )
