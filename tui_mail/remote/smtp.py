"""SMTP submission adapter on aiosmtplib (runs on the event loop), and the sendmail_command
transport.

aiosmtplib's default `start_tls=None` is opportunistic and would send a password in clear to a
server without STARTTLS: we always pass `use_tls`/`start_tls` explicitly.

`send()` tells the outbox what it needs to decide between "retry later" and "needs the user":
`SendFailed.temporary` is True for 4xx replies and network trouble, False for 5xx refusals,
a rejected login, TLS problems and a message over the server's size limit.

Exactly once: a message is delivered the moment the server has read the final "." of DATA,
whatever happens to us afterwards. `send()` therefore runs MAIL, RCPT and DATA itself
(aiosmtplib's `data()` writes the content and the dot in one go) so that the caller hears
`before_end()` after the content has left our buffers and right before the dot is written,
and `on_accepted()` as soon as the 250 has been read, before QUIT. A failure before the dot
means nothing was delivered; once the dot is written, a lost connection or a timeout raises
`OutcomeUnknown`: the message may or may not have been delivered.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import shlex
import ssl
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field

import aiosmtplib
from aiosmtplib.protocol import PERIOD_REGEX, normalize_message_line_endings
from aiosmtplib.typing import SMTPStatus

from tui_mail.errors import ConnectError, ServerRefused, TuiMailError
from tui_mail.model import Security, ServerConfig
from tui_mail.remote import sasl
from tui_mail.remote.connection import (
    Credentials,
    auth_failed,
    describe,
    no_token_login,
    server_text,
    ssl_context,
    starttls_missing,
    token_refused,
    translate,
)

log = logging.getLogger(__name__)
LOGIN_RETRY_SECONDS = 1.0  # before a login the server could not check is tried again


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
        return auth_failed(server, f"{exc.code} {exc.message}",
                           temporary=400 <= exc.code < 500)
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


async def _password_login(client: aiosmtplib.SMTP, server: ServerConfig,
                          creds: Credentials) -> None:
    """AUTH with the password. A 4xx answer (the server could not check it right now:
    Postfix's "454 4.7.0 Temporary authentication failure" while it connects to Dovecot's
    auth service again) is tried once more, a moment later, in the same session; a refusal
    (5xx, a wrong password) never is."""
    try:
        await _login_once(client, server, creds)
    except aiosmtplib.SMTPAuthenticationError as exc:
        if not 400 <= exc.code < 500:
            raise
        log.info("%s: the login could not be checked (%s %s); trying once more",
                 describe(server), exc.code, exc.message)
        await asyncio.sleep(LOGIN_RETRY_SECONDS)
        await _login_once(client, server, creds)


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


async def _token_login(client: aiosmtplib.SMTP, server: ServerConfig, creds: Credentials) -> None:
    """AUTH with the OAuth2 token (RFC 4954, initial response inline); once more with a renewed
    token if refused. The server's error challenge (334 base64 JSON) becomes the message."""
    # What the server offered (supported_auth_methods lists only what aiosmtplib implements).
    offered_methods = {m.upper() for m in client.server_auth_methods}
    mechanism = sasl.choose_mechanism(offered_methods)
    if mechanism is None:
        raise no_token_login(server, offered_methods)
    while True:
        assert creds.oauth2_token is not None
        first = sasl.initial_response(mechanism, creds.username, creds.oauth2_token,
                                      server.host, server.port)
        response = await client.execute_command(
            b"AUTH", mechanism.encode("ascii"), base64.b64encode(first))
        if response.code == SMTPStatus.auth_successful:
            return
        if response.code == SMTPStatus.auth_continue:
            explanation = sasl.explain_challenge(response.message)
            response = await client.execute_command(
                base64.b64encode(sasl.ABORT_RESPONSE[mechanism]))
        else:
            explanation = server_text(f"{response.code} {response.message}")
        if not await asyncio.to_thread(creds.renewed):
            raise token_refused(server, explanation)


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
            await _token_login(client, server, creds)
        elif creds.password is not None:
            await _password_login(client, server, creds)
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
    names the recipients the server refused, with its words; `unreachable` says that the
    server could not be reached or talked to at all (worth trying again as soon as the
    network or the server is back, not only on the outbox's slow backoff)."""

    def __init__(
        self, message: str, *, temporary: bool, refused: dict[str, str] | None = None,
        unreachable: bool = False,
    ) -> None:
        super().__init__(message)
        self.temporary = temporary
        self.refused = dict(refused or {})
        self.unreachable = unreachable


class OutcomeUnknown(SendFailed):
    """The whole message, final dot included, was handed over and the server's answer never
    came (connection lost, timeout): it may have been delivered. Never retry it blindly."""

    def __init__(self, message: str) -> None:
        super().__init__(message, temporary=False)


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
        return SendFailed(str(error), temporary=True, unreachable=True)
    return error


async def send(
    server: ServerConfig, creds: Credentials, mail_from: str, rcpts: list[str] | tuple[str, ...],
    raw: bytes, *, before_end: Callable[[], None] | None = None,
    on_accepted: Callable[[SendResult], None] | None = None,
) -> SendResult:
    """Submit `raw` to `rcpts` (the whole envelope, Bcc included). One connection, one login.

    `before_end()` runs right before the final dot of DATA is written (if it raises, the dot
    is not written and the server discards the message); `on_accepted(result)` runs as soon
    as the server's 250 has been read, before QUIT.

    Raises SendFailed (with `.temporary`), MessageTooLarge, OutcomeUnknown, AuthError or
    TLSError. A message accepted for some recipients only returns normally, with the refused
    ones in the result.
    """
    if not rcpts:
        raise SendFailed("no recipients to send to", temporary=False)
    try:
        client = await connect(server, creds)
    except ConnectError as exc:
        raise SendFailed(str(exc), temporary=True, unreachable=True) from exc
    size = len(raw)
    limit = size_limit(client)
    try:
        if limit is not None and size > limit:
            raise _too_large(server, size, limit)
        options = []
        if client.supports_extension("size"):
            options.append(f"SIZE={len(normalize_message_line_endings(raw))}")
        if not raw.isascii():
            if not client.supports_extension("8bitmime"):
                raise SendFailed(
                    f"{describe(server)}: the message has 8-bit content and the server does not "
                    "offer 8BITMIME", temporary=False,
                )
            options.append("BODY=8BITMIME")
        try:
            refused = await _envelope(client, mail_from, list(rcpts), options)
            response = await _data(client, server, raw, before_end)
        except (aiosmtplib.SMTPException, OSError, ssl.SSLError) as exc:
            raise _failure(exc, server, size, limit) from exc
        except (ValueError, UnicodeEncodeError) as exc:
            raise SendFailed(f"{describe(server)}: an address cannot be sent: {exc}",
                             temporary=False) from exc
        result = SendResult(accepted=tuple(r for r in rcpts if r not in refused),
                            refused=refused, response=response)
        if on_accepted is not None:
            on_accepted(result)
        # The message was accepted; a lost QUIT changes nothing.
        with contextlib.suppress(aiosmtplib.SMTPException, OSError):
            await client.quit()
    finally:
        client.close()
    return result


async def _envelope(client: aiosmtplib.SMTP, mail_from: str, rcpts: list[str],
                    options: list[str]) -> dict[str, str]:
    """MAIL FROM and one RCPT TO per recipient; returns the refused ones with the server's
    words. Every recipient refused: SMTPRecipientsRefused."""
    await client.mail(mail_from, options=options)
    errors: list[aiosmtplib.SMTPRecipientRefused] = []
    for rcpt in rcpts:
        try:
            await client.rcpt(rcpt)
        except aiosmtplib.SMTPRecipientRefused as exc:
            errors.append(exc)
    if len(errors) == len(rcpts):
        raise aiosmtplib.SMTPRecipientsRefused(errors)
    return {exc.recipient: _words(exc.code, exc.message) for exc in errors}


async def _data(client: aiosmtplib.SMTP, server: ServerConfig, raw: bytes,
                before_end: Callable[[], None] | None) -> str:
    """DATA, the content, then (after `before_end()`) the final dot; the server's 250 words.

    The content and the dot are written separately, through the protocol aiosmtplib's own
    `data()` uses, so that the outcome is only uncertain between the dot and the reply."""
    start = await client.execute_command(b"DATA")
    if start.code != 354:
        raise aiosmtplib.SMTPDataError(start.code, start.message)
    protocol = client.protocol
    if protocol is None or protocol.transport is None:
        raise aiosmtplib.SMTPServerDisconnected("Connection lost")
    content = PERIOD_REGEX.sub(b"..", normalize_message_line_endings(raw))
    protocol.write(content)
    await _flushed(protocol.transport, client.timeout)
    if before_end is not None:
        before_end()
    protocol.write(b".\r\n")
    try:
        reply = await protocol.read_response(timeout=client.timeout)
    except (aiosmtplib.SMTPException, OSError, ssl.SSLError) as exc:
        client.close()
        raise OutcomeUnknown(
            f"{describe(server)}: the connection was lost after the whole message had been "
            f"handed over, before the server answered ({exc}): the outcome is unknown"
        ) from exc
    if reply.code != 250:
        raise aiosmtplib.SMTPDataError(reply.code, reply.message)
    return reply.message


async def _flushed(transport: asyncio.BaseTransport, timeout: float | None) -> None:
    """Wait until the transport has handed what was written to the kernel (which sends it even
    if we die), so that the uncertain moment starts only when the dot is written."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + (timeout or 60.0)
    size = getattr(transport, "get_write_buffer_size", None)
    while size is not None and size() > 0:
        if transport.is_closing():
            raise aiosmtplib.SMTPServerDisconnected("Connection lost")
        if loop.time() > deadline:
            raise aiosmtplib.SMTPTimeoutError("Timed out writing the message")
        await asyncio.sleep(0.002)


# sendmail(8) exit statuses that mean "try again later" (sysexits.h).
_TEMPORARY_EXITS = {69, 71, 74, 75}  # EX_UNAVAILABLE, EX_OSERR, EX_IOERR, EX_TEMPFAIL


async def send_with_command(
    command: str, mail_from: str, rcpts: list[str] | tuple[str, ...], raw: bytes,
    timeout: float = 120.0, *, before_end: Callable[[], None] | None = None,
) -> SendResult:
    """Pipe the message to a sendmail-compatible command: `COMMAND -oi -f FROM -- RCPT...`.

    The command gets local line ends (LF), from a file written beforehand: once it runs it may
    deliver whatever it read, even if we die, so it never sees a message cut short.
    `before_end()` runs right before the command starts (from then on the outcome is unknown
    until it exits). A non-zero exit is a SendFailed carrying the command's last line of
    stderr; a command that does not finish in `timeout` seconds is killed (OutcomeUnknown).
    """
    if not rcpts:
        raise SendFailed("no recipients to send to", temporary=False)
    argv = [*shlex.split(command), "-oi", "-f", mail_from, "--", *rcpts]
    with tempfile.TemporaryFile() as message:
        message.write(raw.replace(b"\r\n", b"\n"))
        message.flush()
        message.seek(0)
        if before_end is not None:
            before_end()
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv, stdin=message, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        except OSError as exc:
            raise SendFailed(f"sendmail_command {command!r} could not run: {exc}",
                             temporary=False) from None
        try:
            _, err = await asyncio.wait_for(proc.communicate(), timeout=timeout)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise OutcomeUnknown(
                f"sendmail_command {command!r} did not finish within {timeout:.0f} s and was "
                "stopped: it may have sent the message"
            ) from None
    if proc.returncode != 0:
        detail = (err.decode("utf-8", "replace").strip().splitlines() or [""])[-1][:300]
        raise SendFailed(
            f"sendmail_command {command!r} failed with exit status {proc.returncode}"
            + (f": {detail}" if detail else ""),
            temporary=proc.returncode in _TEMPORARY_EXITS,
        )
    return SendResult(accepted=tuple(rcpts))
