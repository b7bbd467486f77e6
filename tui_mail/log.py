"""The log file: `$XDG_STATE_HOME/tui-mail/tui-mail.log` (default ~/.local/state/tui-mail/).

`setup_logging(level)` is called once by the command's entry point (every command, the
interface included). The file is rotated at 1 MB (five old files are kept: tui-mail.log.1 ...
.5), made private (0600 in a 0700 folder), and opened only when the first line is written, so
a command that logs nothing costs no file access and no `logging.handlers` import.

Conventions for every module:

- `logger = logging.getLogger(__name__)` at the top; nothing else to set up. Modules on the
  path of `search` and `show` (the CLI's entry, the cache's open and read code) use
  `tui_mail.lazy_logging.get_logger(__name__)` instead: `logging` is imported, and this
  module's setup run, at their first record (tests/cli/test_lean_start.py checks).
- INFO is the default level: what someone wants to read afterwards to learn what happened
  (a connection made, a sync and its counts, a message delivered or held, an error shown to
  the user). DEBUG is for detail. WARNING for something that went wrong and was handled.
- An error shown to the user is also logged with its causes: `log_shown(error)`.
- Never log a secret: no password, token, authorization header or credentials object, and no
  message content at INFO. A filter on the file (`RedactSecrets`) removes what it recognises
  (LOGIN and AUTH arguments, bearer tokens, `password=...`), but do not rely on it.

`--debug` on the command line, or `log_level = "debug"` in the config, adds the protocol lines:
imapclient's own loggers ("imapclient"; it already hides LOGIN and AUTHENTICATE arguments) and,
since aiosmtplib logs nothing, the SMTP lines traced by `trace_smtp` (logger
"tui_mail.protocol.smtp", with the AUTH exchange redacted).
"""

from __future__ import annotations

import logging
import os
import re
import sys
from functools import cache
from pathlib import Path
from typing import Any

LOG_FILE_NAME = "tui-mail.log"
MAX_BYTES = 1_000_000
BACKUP_COUNT = 5
LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}
FORMAT = "%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s"
PROTOCOL_LOGGERS = ("imapclient", "tui_mail.protocol")
REDACTED = "[redacted]"

_state: dict[str, Any] = {"handler": None, "path": None, "problem": None}
_smtp_log = logging.getLogger("tui_mail.protocol.smtp")
_log = logging.getLogger("tui_mail")


# ---- redaction ----------------------------------------------------------------------------

# Anywhere in a message: bearer tokens (HTTP style, and inside XOAUTH2/OAUTHBEARER strings),
# and "password=..." / "token: ..." style pairs.
_ANYWHERE = [
    (r"(?i)\b(bearer)(\s+|=)[^\s\x01'\"]+", rf"\1\2{REDACTED}"),
    (r"(?i)\b(pass(?:word|wd)?|(?:client_)?secret|(?:refresh_|access_|id_)?token|"
     r"code_verifier|device_code)(\s*[=:]\s*)[^\s,;&'\"]+",
     rf"\1\2{REDACTED}"),
]
# Lines the client sent (logged with a leading ">"): IMAP `tag LOGIN user password`, and SASL
# initial responses after AUTH (SMTP) or AUTHENTICATE (IMAP).
_CLIENT_LINE = r"^\s*>"
_CLIENT = [
    (r"(?i)\b(LOGIN)\s+(\"(?:[^\"\\]|\\.)*\"|\S+)\s+\S.*?(?=['\"]?\s*$)", rf"\1 \2 {REDACTED}"),
    (r"(?i)\b(AUTH|AUTHENTICATE)\s+([\w-]+)\s+[^\s'\"]+", rf"\1 \2 {REDACTED}"),
]


@cache
def _patterns() -> tuple[list[tuple[re.Pattern[str], str]], re.Pattern[str],
                         list[tuple[re.Pattern[str], str]]]:
    """Compiled at the first line logged, not at start-up (a few ms on a slow machine)."""
    return ([(re.compile(p), r) for p, r in _ANYWHERE], re.compile(_CLIENT_LINE),
            [(re.compile(p), r) for p, r in _CLIENT])


def redact(text: str) -> str:
    """`text` with the secrets it recognisably carries replaced by "[redacted]"."""
    anywhere, client_line, client = _patterns()
    for pattern, replacement in anywhere:
        text = pattern.sub(replacement, text)
    if client_line.match(text):
        for pattern, replacement in client:
            text = pattern.sub(replacement, text)
    return text


# Control characters (but tab and newline) and bidi controls: a server's words or a folder's
# name may hold escape sequences, which `tail -f` of the log would hand to the terminal.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def visible_controls(text: str) -> str:
    """`text` with its control characters written out (ESC as `\\x1b`): kept for whoever
    reads the log, harmless to the terminal showing it."""
    return _CONTROLS.sub(lambda m: ascii(m.group(0))[1:-1], text)


class RedactSecrets(logging.Filter):
    """Rewrites each record's message (and traceback text) through `redact`, and writes out
    the control characters in it (`visible_controls`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not stop the log
            message = f"{record.msg!r} {record.args!r}"
        clean = visible_controls(redact(message))
        if clean != message or record.args:
            record.msg, record.args = clean, None
        if record.exc_info:  # another handler's formatter may have cached it unredacted
            text = record.exc_text or logging.Formatter().formatException(record.exc_info)
            record.exc_text = visible_controls(redact(text))
        return True


# ---- the file -----------------------------------------------------------------------------


def default_log_path() -> Path:
    from tui_mail.paths import default_state_dir

    return default_state_dir() / LOG_FILE_NAME


def _open_private(path: Path) -> int:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        if os.fstat(fd).st_mode & 0o077:
            os.fchmod(fd, 0o600)
    except OSError:
        pass  # not our file (another user's, or a filesystem without modes): keep going
    return fd


def _rotating_handler(path: Path) -> logging.Handler:
    from logging.handlers import RotatingFileHandler

    class PrivateRotatingFile(RotatingFileHandler):
        """Creates every file 0600, and reopens the file when another tui-mail rotated it
        (RotatingFileHandler alone would go on writing into what is now tui-mail.log.1)."""

        def _open(self) -> Any:
            return open(  # noqa: SIM115 - the handler owns and closes this stream
                _open_private(Path(self.baseFilename)), self.mode, encoding=self.encoding,
                errors=self.errors,
            )

        def emit(self, record: logging.LogRecord) -> None:
            if self.stream is not None:
                try:
                    moved = os.stat(self.baseFilename).st_ino != os.fstat(
                        self.stream.fileno()).st_ino
                except OSError:
                    moved = True
                if moved:
                    self.stream.close()
                    self.stream = None
            super().emit(record)

    return PrivateRotatingFile(
        path, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8", delay=True
    )


class _LogFile(logging.Handler):
    """Writes to the rotating file, created at the first record. A failure to write (a full
    or read-only disk) drops the line quietly: the log must never stop tui-mail, nor print
    logging's own traceback over the interface."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self._file: logging.Handler | None = None

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if self._file is None:
                self._file = _rotating_handler(self.path)
                self._file.setFormatter(self.formatter)
                self._file.handleError = self.handleError  # type: ignore[method-assign]
            self._file.emit(record)
        except Exception:  # noqa: BLE001 - see the class docstring
            self.handleError(record)

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's name
        _state["problem"] = f"could not write {self.path}: {sys.exc_info()[1]}"

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        super().close()


def setup_logging(level: str | int = "info", state_dir: Path | None = None) -> Path:
    """Send log records to `state_dir/tui-mail.log` (default `$XDG_STATE_HOME/tui-mail/`) at
    `level` ("debug", "info", "warning", "error" or a logging level number); returns the path.

    Calling it again replaces the earlier setup. If the folder cannot be made, nothing is
    logged and `log_problem()` says why; tui-mail runs on either way."""
    root = logging.getLogger()
    stop_logging()
    path = (state_dir / LOG_FILE_NAME) if state_dir is not None else default_log_path()
    _state.update(handler=None, path=path, problem=None)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if path.parent.stat().st_mode & 0o077:
            path.parent.chmod(0o700)
    except OSError as exc:
        _state["problem"] = f"could not create {path.parent}: {exc.strerror or exc}"
        handler: logging.Handler = logging.NullHandler()  # and no "last resort" to stderr
    else:
        handler = _LogFile(path)
        handler.setFormatter(logging.Formatter(FORMAT))
        handler.addFilter(RedactSecrets())
    root.addHandler(handler)
    root.setLevel(logging.WARNING)  # other libraries: their warnings and errors only
    _state["handler"] = handler
    set_level(level)
    return path


def stop_logging() -> None:
    """Undo `setup_logging`: remove and close its handler (tests; a program embedding ours)."""
    handler = _state["handler"]
    if handler is not None:
        logging.getLogger().removeHandler(handler)
        handler.close()
    _state.update(handler=None, path=None, problem=None)


def set_level(level: str | int) -> None:
    """Change the level after `setup_logging` (the config's `log_level` is known later than
    the command line). DEBUG also turns the protocol loggers on."""
    number = LEVELS[level.lower()] if isinstance(level, str) else int(level)
    _log.setLevel(number)
    debug = number <= logging.DEBUG
    for name in PROTOCOL_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if debug else logging.WARNING)
    if debug:
        trace_smtp()


def log_path() -> Path | None:
    """Where `setup_logging` sends the log (None before it was called)."""
    path: Path | None = _state["path"]
    return path


def log_problem() -> str | None:
    """Why the log could not be written, if it could not."""
    problem: str | None = _state["problem"]
    return problem


def describe_causes(error: BaseException) -> str:
    """" (cause: OperationalError: database or disk is full [SQLITE_FULL])" and so on down
    the chain; empty when the error has no cause."""
    parts = []
    seen: set[int] = {id(error)}
    cause = error.__cause__ or error.__context__
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        text = f"{type(cause).__name__}: {cause}"
        code = getattr(cause, "sqlite_errorname", None)
        if code:
            text += f" [{code}]"
        parts.append(text)
        cause = cause.__cause__ or cause.__context__
    return "".join(f" (cause: {p})" for p in parts)


def log_shown(error: BaseException, logger: logging.Logger | None = None) -> None:
    """Log an error that was shown to the user, with its causes; with its traceback too when
    the level is DEBUG."""
    target = logger or _log
    target.error(
        "%s%s", error, describe_causes(error),
        exc_info=error if target.isEnabledFor(logging.DEBUG) else None,
    )


# ---- SMTP protocol trace ------------------------------------------------------------------

_LINE_MAX = 512


def trace_smtp() -> None:
    """Log every SMTP line aiosmtplib sends and receives (it has no logging of its own) to
    "tui_mail.protocol.smtp" at DEBUG. The AUTH exchange is redacted: the command's initial
    response and every line the client sends until the server ends the exchange. The message
    itself is logged as its size. Idempotent."""
    from aiosmtplib import protocol

    cls: Any = protocol.SMTPProtocol
    if getattr(cls, "_tui_mail_traced", False):
        return
    write, read_response = cls.write, cls.read_response

    def traced_write(self: Any, data: bytes) -> None:
        if _smtp_log.isEnabledFor(logging.DEBUG):
            _smtp_log.debug("> %s", _client_line(self, data))
        write(self, data)

    async def traced_read_response(self: Any, timeout: float | None = None) -> Any:
        response = await read_response(self, timeout)
        if response.code != 334:
            self._tui_mail_in_auth = False
        if _smtp_log.isEnabledFor(logging.DEBUG):
            for line in (response.message or "").splitlines() or [""]:
                _smtp_log.debug("< %s %s", response.code, line)
        return response

    cls.write = traced_write
    cls.read_response = traced_read_response
    cls._tui_mail_traced = True


def _client_line(protocol: Any, data: bytes) -> str:
    body = data[:-2] if data.endswith(b"\r\n") else data
    if b"\n" in body or len(body) > _LINE_MAX:
        return f"[message: {len(data)} bytes]"
    text = body.decode("utf-8", "replace")
    verb = text.split(" ", 1)[0].upper()
    if verb == "AUTH":
        protocol._tui_mail_in_auth = True
        words = text.split()
        return " ".join(words[:2] + ([REDACTED] if len(words) > 2 else []))
    if getattr(protocol, "_tui_mail_in_auth", False):
        return REDACTED
    return text
