"""SMTP submission adapter on aiosmtplib (runs on the event loop), and the sendmail_command
transport.

aiosmtplib's default `start_tls=None` is opportunistic and would send a password in clear to a
server without STARTTLS: we always pass `use_tls`/`start_tls` explicitly.

`send()` tells the outbox what it needs to decide between "retry later" and "needs the user":
`SendFailed.temporary` is True for 4xx replies and network trouble, False for 5xx refusals,
a rejected login, TLS problems and a message over the server's size limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import shlex
import ssl
from dataclasses import dataclass, field

import aiosmtplib

from tui_mail.errors import ConnectError, ServerRefused, TuiMailError
from tui_mail.model import Security, ServerConfig
from tui_mail.remote.connection import (
    Credentials,
    auth_failed,
    describe,
    ssl_context,
    starttls_missing,
    translate,
)


def _client(server: ServerConfig) -> aiosmtplib.SMTP:
    tls = server.security is Security.TLS
    return aiosmtplib.SMTP(
        hostname=server.host,
        port=server.port,
        use_tls=tls,
        start_tls=False,
        tls_context=ssl_context(server) if server.security is not Security.NONE else None,
        timeout=server.timeout,
    )


def translate_smtp(exc: BaseException, server: ServerConfig) -> TuiMailError:
    """aiosmtplib wraps socket/TLS failures; unwrap them to our user-facing errors."""
    if isinstance(exc, TuiMailError):
        return exc
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        return auth_failed(server, f"{exc.code} {exc.message}")
    if isinstance(exc, aiosmtplib.SMTPConnectError | aiosmtplib.SMTPConnectTimeoutError):
        cause = exc.__cause__ or exc.__context__
        if cause is not None and not isinstance(cause, aiosmtplib.SMTPException):
            return translate(cause, server)
        return translate(ConnectionError(str(exc)), server)
    if isinstance(exc, aiosmtplib.SMTPTimeoutError):
        return translate(TimeoutError(str(exc)), server)
    if isinstance(exc, aiosmtplib.SMTPServerDisconnected):
        return translate(ConnectionError(str(exc)), server)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return ServerRefused(f"{describe(server)}: {exc.code} {exc.message}")
    if isinstance(exc, OSError | ssl.SSLError):
        return translate(exc, server)
    return ServerRefused(f"{describe(server)}: {exc}")


async def _login_once(client: aiosmtplib.SMTP, server: ServerConfig, creds: Credentials) -> None:
    """One AUTH attempt: aiosmtplib's login() would retry a wrong password with each mechanism."""
    methods = {m.lower() for m in client.supported_auth_methods}
    if "plain" in methods:
        await client.auth_plain(creds.username, creds.password or "")
    elif "login" in methods:
        await client.auth_login(creds.username, creds.password or "")
    else:
        offered = ", ".join(sorted(methods)) or "none"
        raise ServerRefused(
            f"{describe(server)}: the server offers no AUTH PLAIN or LOGIN (offered: {offered})"
        )


async def connect(server: ServerConfig, creds: Credentials) -> aiosmtplib.SMTP:
    """Connect, secure (STARTTLS required when configured) and authenticate."""
    client = _client(server)
    try:
        await client.connect()
        # With start_tls=False aiosmtplib sends no EHLO itself: without it no extension (STARTTLS,
        # AUTH, SIZE) is known. STARTTLS forgets what was announced, so EHLO again after it.
        await client.ehlo()
        if server.security is Security.STARTTLS:
            if not client.supports_extension("starttls"):
                raise starttls_missing(server)
            await client.starttls()
            await client.ehlo()
        if creds.oauth2_token:
            await client.auth_xoauth2(creds.username, creds.oauth2_token)
        elif creds.password is not None:
            await _login_once(client, server, creds)
    except BaseException as exc:
        client.close()
        if isinstance(exc, Exception):
            raise translate_smtp(exc, server) from exc
        raise
    return client


async def probe(server: ServerConfig, creds: Credentials) -> list[str]:
    """Log in and return the ESMTP extensions the server announces after login."""
    client = await connect(server, creds)
    try:
        extensions = sorted(
            f"{name.upper()} {args}".strip() for name, args in client.esmtp_extensions.items()
        )
        with contextlib.suppress(aiosmtplib.SMTPException):
            await client.quit()
        return extensions
    finally:
        client.close()


@dataclass(frozen=True)
class SendResult:
    """The server took the message for `accepted`; `refused` maps each other recipient to the
    server's words (`550 5.1.1 <x@y>: Recipient address rejected: ...`)."""

    accepted: tuple[str, ...]
    refused: dict[str, str] = field(default_factory=dict)
    response: str = ""


class SendFailed(ServerRefused):
    """Nothing was accepted. `temporary` says whether trying again later may work; `refused`
    names the recipients the server refused, with its words."""

    def __init__(
        self, message: str, *, temporary: bool, refused: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.temporary = temporary
        self.refused = dict(refused or {})


class MessageTooLarge(SendFailed):
    """The message is bigger than the server accepts (SIZE limit or a 552 reply)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, temporary=False)


def _words(code: int, message: str) -> str:
    return f"{code} {' '.join(message.split())}".strip()


def _too_large(server: ServerConfig, size: int, limit: int | None, words: str = "") -> MessageTooLarge:
    what = f"the message is {_megabytes(size)}"
    if limit:
        what += f"; the server accepts at most {_megabytes(limit)}"
    said = f" (the server said: {words})" if words else ""
    return MessageTooLarge(
        f"{describe(server)}: {what}{said}. Remove or shrink attachments, or share large files "
        "by link"
    )


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB ({size} bytes)"


def size_limit(client: aiosmtplib.SMTP) -> int | None:
    """The SIZE the server announced (RFC 1870), or None when it announced no number."""
    if not client.supports_extension("size"):
        return None
    value = client.esmtp_extensions.get("size", "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else None


def _refused_text(refused: dict[str, str]) -> str:
    return "; ".join(f"{rcpt}: {words}" for rcpt, words in refused.items())


def _failure(exc: BaseException, server: ServerConfig, size: int, limit: int | None) -> SendFailed | TuiMailError:
    """Classify an aiosmtplib failure during the transaction."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        refused = {r.recipient: _words(r.code, r.message) for r in exc.recipients}
        temporary = all(400 <= r.code < 500 for r in exc.recipients)
        return SendFailed(
            f"{describe(server)}: every recipient was refused: {_refused_text(refused)}",
            temporary=temporary, refused=refused,
        )
    if isinstance(exc, aiosmtplib.SMTPResponseException) and not isinstance(
        exc, aiosmtplib.SMTPAuthenticationError
    ):
        words = _words(exc.code, exc.message)
        if exc.code == 552 or (exc.code == 452 and "size" in exc.message.lower()) or (
            exc.code in (523, 534) and "size" in exc.message.lower()
        ):
            return _too_large(server, size, limit, words)
        stage = "the sender address" if isinstance(exc, aiosmtplib.SMTPSenderRefused) else "the message"
        return SendFailed(
            f"{describe(server)}: the server refused {stage}: {words}",
            temporary=400 <= exc.code < 500,
        )
    error = translate_smtp(exc, server)
    if isinstance(error, ConnectError):
        return SendFailed(str(error), temporary=True)
    return error


async def send(
    server: ServerConfig, creds: Credentials, mail_from: str, rcpts: list[str] | tuple[str, ...],
    raw: bytes,
) -> SendResult:
    """Submit `raw` to `rcpts` (the whole envelope, Bcc included). One connection, one login.

    Raises SendFailed (with `.temporary`), MessageTooLarge, AuthError or TLSError. A message
    accepted for some recipients only returns normally, with the refused ones in the result.
    """
    if not rcpts:
        raise SendFailed("no recipients to send to", temporary=False)
    try:
        client = await connect(server, creds)
    except ConnectError as exc:
        raise SendFailed(str(exc), temporary=True) from exc
    size = len(raw)
    limit = size_limit(client)
    try:
        if limit is not None and size > limit:
            raise _too_large(server, size, limit)
        options = []
        if not raw.isascii():
            if not client.supports_extension("8bitmime"):
                raise SendFailed(
                    f"{describe(server)}: the message has 8-bit content and the server does not "
                    "offer 8BITMIME", temporary=False,
                )
            options.append("BODY=8BITMIME")
        try:
            errors, response = await client.sendmail(
                mail_from, list(rcpts), raw, mail_options=options
            )
        except (aiosmtplib.SMTPException, OSError, ssl.SSLError) as exc:
            raise _failure(exc, server, size, limit) from exc
        # The message was accepted; a lost QUIT changes nothing.
        with contextlib.suppress(aiosmtplib.SMTPException, OSError):
            await client.quit()
    finally:
        client.close()
    refused = {rcpt: _words(r.code, r.message) for rcpt, r in errors.items()}
    accepted = tuple(r for r in rcpts if r not in refused)
    return SendResult(accepted=accepted, refused=refused, response=response)


# sendmail(8) exit statuses that mean "try again later" (sysexits.h).
_TEMPORARY_EXITS = {69, 71, 74, 75}  # EX_UNAVAILABLE, EX_OSERR, EX_IOERR, EX_TEMPFAIL


async def send_with_command(
    command: str, mail_from: str, rcpts: list[str] | tuple[str, ...], raw: bytes,
    timeout: float = 120.0,
) -> SendResult:
    """Pipe the message to a sendmail-compatible command: `COMMAND -oi -f FROM -- RCPT...`.

    The command gets local line ends (LF). A non-zero exit is a SendFailed carrying the
    command's last line of stderr.
    """
    if not rcpts:
        raise SendFailed("no recipients to send to", temporary=False)
    argv = [*shlex.split(command), "-oi", "-f", mail_from, "--", *rcpts]
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
    except OSError as exc:
        raise SendFailed(f"sendmail_command {command!r} could not run: {exc}", temporary=False) from None
    try:
        _, err = await asyncio.wait_for(
            proc.communicate(raw.replace(b"\r\n", b"\n")), timeout=timeout
        )
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise SendFailed(
            f"sendmail_command {command!r} did not finish within {timeout:.0f} s", temporary=True
        ) from None
    if proc.returncode != 0:
        detail = (err.decode("utf-8", "replace").strip().splitlines() or [""])[-1][:300]
        raise SendFailed(
            f"sendmail_command {command!r} failed with exit status {proc.returncode}"
            + (f": {detail}" if detail else ""),
            temporary=proc.returncode in _TEMPORARY_EXITS,
        )
    return SendResult(accepted=tuple(rcpts))
