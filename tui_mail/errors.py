"""User-facing errors: each says what went wrong and, where there is one, what to do next.

The CLI prints `str(error)` and exits non-zero; the UI shows it in a notification. No traceback
reaches the user for any of these.
"""

from __future__ import annotations


class TuiMailError(Exception):
    """Base of every error meant to be shown to the user as it is."""

    exit_code = 1


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
    """The server refused the login; carries the server's words."""


class ServerRefused(TuiMailError):
    """The server answered a command with a refusal (NO/BAD, -ERR, 5xx) other than login."""


class QueryError(TuiMailError):
    """A search query could not be parsed; says where and why."""


class CacheError(TuiMailError):
    """The local cache could not be opened or written."""
