"""What every protocol adapter shares: TLS contexts and turning low-level failures into
user-facing errors that say what to do next.

Rules: TLS is verified by default; `ca_file` trusts a private CA; `tls_verify = false` only when
written in the config. STARTTLS, when configured, is required: a server that does not offer it
is an error (the adapters call `starttls_missing`), never a silent plaintext fallback.
"""

from __future__ import annotations

import ast
import re
import socket
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from tui_mail.errors import AuthError, ConnectError, ServerTimeout, TLSError, TuiMailError
from tui_mail.model import Security, ServerConfig

SERVER_TEXT_LIMIT = 300  # characters of a server's words kept in an error


_INLINE_REPR = re.compile(r"\bb'(?:[^'\\]|\\.)*'" + r'|\bb"(?:[^"\\]|\\.)*"')


def _unrepr(match: re.Match[str]) -> str:
    """A `b'...'` inside a library's message (imaplib quotes what it could not parse)."""
    try:
        raw = ast.literal_eval(match.group(0))
    except (ValueError, SyntaxError):
        return match.group(0)
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else match.group(0)


_NOT_A_NUMBER = re.compile(r"invalid literal for int\(\) with base \d+: (.*)$")


def malformed(exc: BaseException) -> str:
    """What a parser's exception says about a malformed answer, in words for the user."""
    text = str(exc)
    number = _NOT_A_NUMBER.search(text)
    if number:
        return f"a number was expected, found {server_text(number.group(1))}"
    return server_text(text) or type(exc).__name__


def server_text(value: object) -> str:
    """A server's words (bytes, or a library's `b'...'` repr of them, or text) as one clean
    line: decoded as UTF-8, escape sequences and control characters removed, cut at
    SERVER_TEXT_LIMIT characters. Never a Python bytes repr."""
    if isinstance(value, BaseException):
        value = value.args[0] if len(value.args) == 1 else str(value)
    if isinstance(value, bytes | bytearray):
        text = bytes(value).decode("utf-8", "replace")
    else:
        text = str(value)
    # A repr, whole or inside a library's message ("select failed: b'...'"), and a repr of a
    # repr (imapclient quoting imaplib): decoded twice at most.
    for _ in range(2):
        decoded = _INLINE_REPR.sub(_unrepr, text)
        if decoded == text:
            break
        text = decoded
    # Imported here: only a server's refusal needs them, and they are most of what loading
    # this module cost a sync that finds nothing new (the header parser's regexes).
    from tui_mail.mail.headers import cut_line
    from tui_mail.mail.sanitize import sanitize_line

    return cut_line(sanitize_line(text), SERVER_TEXT_LIMIT)


def describe(server: ServerConfig) -> str:
    """`imap://mail.example.com:993 (tls)`: how errors name a server."""
    return f"{server.protocol.value}://{server.host}:{server.port} ({server.security.value})"


def ssl_context(server: ServerConfig) -> ssl.SSLContext:
    """A client TLS context following the account's settings."""
    if not server.tls_verify:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    try:
        return ssl.create_default_context(cafile=str(server.ca_file) if server.ca_file else None)
    except (OSError, ssl.SSLError) as exc:
        raise TLSError(f"{describe(server)}: cannot load ca_file {server.ca_file}: {exc}") from None


def starttls_missing(server: ServerConfig) -> TLSError:
    return TLSError(
        f"{describe(server)}: the server does not offer STARTTLS, so the connection would be "
        "unencrypted; refusing to continue. Use security = 'tls' with the server's TLS port if "
        "it has one, or security = 'none' only if you accept sending your password in clear"
    )


def _untrusted(server: ServerConfig, reason: str) -> TLSError:
    return TLSError(
        f"{describe(server)}: the server's certificate is not trusted ({reason}). If the server "
        "uses a private or self-signed CA, set ca_file = \"/path/to/ca.pem\" for this server in "
        "the config; tls_verify = false turns checking off (insecure)"
    )


def translate(exc: BaseException, server: ServerConfig) -> TuiMailError:
    """Map a socket/SSL/timeout exception to the user-facing error for `server`."""
    where = describe(server)
    if isinstance(exc, TuiMailError):
        return exc
    if isinstance(exc, ssl.SSLCertVerificationError):
        return _untrusted(server, exc.verify_message or str(exc))
    if isinstance(exc, ssl.SSLError):
        text = str(exc)
        if "WRONG_VERSION_NUMBER" in text or "wrong version number" in text:
            hint = (
                "the server does not speak TLS on this port; try security = 'starttls' or the TLS port"
                if server.security is Security.TLS
                else "TLS negotiation failed"
            )
            return TLSError(f"{where}: {hint} ({exc.reason or text})")
        if "CERTIFICATE_VERIFY_FAILED" in text:
            return _untrusted(server, text)
        return TLSError(f"{where}: TLS failure: {exc.reason or text}")
    if isinstance(exc, socket.gaierror):
        return ConnectError(f"{where}: cannot resolve host {server.host!r}: {exc.strerror or exc}")
    if isinstance(exc, ConnectionRefusedError):
        return ConnectError(
            f"{where}: connection refused: nothing accepts connections on port {server.port} "
            "(check host, port and security)"
        )
    if isinstance(exc, TimeoutError | socket.timeout):
        return ServerTimeout(
            f"{where}: no answer within {server.timeout:.0f} s (timed out); the server may be "
            "down or a firewall drops the connection"
        )
    if isinstance(exc, ConnectionError | EOFError):
        return ConnectError(f"{where}: the connection was closed by the server "
                            f"({server_text(exc) or type(exc).__name__})")
    if isinstance(exc, OSError):
        return ConnectError(f"{where}: cannot connect: {exc.strerror or exc}")
    return ConnectError(f"{where}: {type(exc).__name__}: {exc}")


def no_token_login(server: ServerConfig, offered: set[str]) -> AuthError:
    """The server takes no OAuth2 token: say what it takes and the way out."""
    return AuthError(
        f"{describe(server)}: the server offers no OAuth2 login (OAUTHBEARER or XOAUTH2; it "
        f"offers {', '.join(sorted(offered)) or 'no SASL mechanism'}). It takes a password: "
        "remove the account's oauth2 table and set a password, or check host and port"
    )


def token_refused(server: ServerConfig, explanation: str) -> AuthError:
    """The server refused an OAuth2 token even after it was renewed."""
    return AuthError(
        f"{describe(server)}: signing in as {server.username!r} with OAuth2 failed: "
        f"{explanation}. Check that this mailbox may use {server.protocol.value.upper()} with "
        "OAuth2 and that the account's oauth2 scopes are right, then sign in again"
    )


# How a server says it could not check a login right now (RFC 5530 IMAP response codes,
# RFC 3206 POP3 ones; SMTP says it with a 4xx code, see remote.smtp).
TEMPORARY_LOGIN_CODES = ("[UNAVAILABLE]", "[SYS/TEMP]", "[IN-USE]")


def auth_failed(server: ServerConfig, server_words: str, *,
                temporary: bool | None = None) -> AuthError:
    """The login was refused. `temporary` None: judged from the server's response code."""
    words = server_text(server_words) or "no reason given"
    if temporary is None:
        upper = words.upper()
        temporary = any(code in upper for code in TEMPORARY_LOGIN_CODES)
    return AuthError(
        f"{describe(server)}: login as {server.username!r} failed; the server said: {words}",
        temporary=temporary,
    )


@contextmanager
def translated(server: ServerConfig) -> Iterator[None]:
    """Run a block of blocking network code, re-raising failures as user-facing errors."""
    try:
        yield
    except TuiMailError:
        raise
    except (OSError, EOFError, ssl.SSLError) as exc:
        raise translate(exc, server) from exc


class Credentials:
    """What a login needs. The secret is kept out of repr() so it never reaches a log."""

    __slots__ = ("username", "password", "oauth2_token", "renew")

    def __init__(self, username: str, password: str | None = None,
                 oauth2_token: str | None = None,
                 renew: Callable[[str], str] | None = None) -> None:
        self.username = username
        self.password = password
        self.oauth2_token = oauth2_token
        # A fresh access token, asked for once when the server refuses `oauth2_token` (given
        # to it: it may have been revoked or expired early). Blocking: off the event loop.
        self.renew = renew

    def renewed(self) -> bool:
        """Replace the token with a fresh one; False when there is no way to renew it."""
        if self.renew is None or self.oauth2_token is None:
            return False
        self.oauth2_token = self.renew(self.oauth2_token)
        self.renew = None  # once: a second refusal is the answer
        return True

    def __repr__(self) -> str:
        return f"Credentials(username={self.username!r}, secret=<hidden>)"
