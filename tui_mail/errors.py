"""User-facing errors: each says what went wrong and, where there is one, what to do next.

The CLI prints `str(error)` and exits non-zero; the UI shows it in a notification. No traceback
reaches the user for any of these.
"""

from __future__ import annotations


class TuiMailError(Exception):
    """Base of every error meant to be shown to the user as it is."""

    exit_code = 1

    def __rich__(self) -> object:
        """How Rich (and so Textual, when one of these escapes the interface) shows it: one
        plain line. Textual's default for an unhandled error is a traceback with the local
        variables of every frame, which can hold a password. Only called where Rich is loaded."""
        from rich.text import Text

        return Text(f"tui-mail: {self}")


class UsageError(TuiMailError):
    """The command line names something that does not exist (an account, a folder, a file
    that is not a message); says what exists instead."""

    exit_code = 2


class ConfigError(TuiMailError):
    """The configuration file is missing, malformed or invalid (names file, account and key)."""

    exit_code = 2


class SecretError(TuiMailError):
    """A password could not be found or stored."""


class ConnectError(TuiMailError):
    """The host could not be resolved or connected to, or the connection dropped or timed out."""


class TLSError(TuiMailError):
    """TLS could not be set up: untrusted certificate, STARTTLS not offered, handshake failure."""


class AuthError(TuiMailError):
    """The server refused the login; carries the server's words.

    `temporary`: the server said it could not check the login right now (SMTP 454, IMAP
    [UNAVAILABLE], POP3 [SYS/TEMP] or [IN-USE]): nothing says the password is wrong, and trying
    again in a moment may work."""

    def __init__(self, message: str, *, temporary: bool = False) -> None:
        super().__init__(message)
        self.temporary = temporary


class ServerRefused(TuiMailError):
    """The server answered a command with a refusal (NO/BAD, -ERR, 5xx) other than login."""


class QueryError(TuiMailError):
    """A search query could not be parsed; says where and why."""


class CacheError(TuiMailError):
    """The local cache could not be opened, read or written: the disk is full, the file is
    damaged, read-only, empty or not a cache at all (see tui_mail.store.failures)."""


class ServerTimeout(ConnectError):
    """The server stopped answering, or answered too slowly to finish a command in time (a
    stall, or a trickle of bytes): the connection is given up, and not tried again at once."""


class ProtocolViolation(ConnectError):
    """The server's answer broke the protocol: a BYE greeting, a line or literal over the
    limit, a number out of range, an answer that cannot be parsed. The connection is given
    up, and not tried again at once: the same server would answer the same way."""
