"""Running the user's GnuPG: `gpg` for OpenPGP, `gpgsm` for S/MIME.

Both are run as commands with `--batch` (they never prompt on the terminal the interface owns)
and `--status-fd` on a file of its own: the machine-readable status lines are what the results
are read from, never the human messages, which change with the locale and the version. The
user's own keyring, agent and configuration are used (GNUPGHOME as set in the environment).

A key that needs its passphrase gets it from the user through `--pinentry-mode loopback`: the
interface asks, and the passphrase goes to gpg over a pipe of its own, never on a command line
or to disk.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tui_mail.errors import TuiMailError

DEFAULT_TIMEOUT = 30.0  # seconds: a key server or a CRL fetch by dirmngr may be slow
STATUS_PREFIX = b"[GNUPG:] "
_ESCAPE = re.compile(rb"%([0-9A-Fa-f]{2})")


class CryptoError(TuiMailError):
    """GnuPG could not be run at all (not installed, timed out): not a verdict on a message."""


@dataclass(frozen=True)
class StatusLine:
    keyword: str
    args: tuple[str, ...]


@dataclass(frozen=True)
class GpgRun:
    """What one run printed: its output (the plaintext, a signed text), its status lines and
    its messages for people (kept to explain a failure)."""

    returncode: int
    output: bytes
    status: tuple[StatusLine, ...]
    messages: str

    def first(self, *keywords: str) -> StatusLine | None:
        return next((line for line in self.status if line.keyword in keywords), None)

    def has(self, keyword: str) -> bool:
        return self.first(keyword) is not None


def parse_status(data: bytes) -> tuple[StatusLine, ...]:
    """Status lines ("[GNUPG:] KEYWORD ARGS..."); arguments are %-escaped by GnuPG."""
    lines = []
    for raw in data.split(b"\n"):
        if not raw.startswith(STATUS_PREFIX):
            continue
        words = raw[len(STATUS_PREFIX):].rstrip(b"\r").decode("utf-8", "replace").split(" ")
        if words and words[0]:
            lines.append(StatusLine(words[0], tuple(words[1:])))
    return tuple(lines)


def unescape(text: str) -> str:
    """A status argument with GnuPG's %XX escapes read back (user ids carry them)."""
    raw = text.encode("utf-8", "surrogateescape")
    return _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw).decode("utf-8", "replace")


_COLON_ESCAPE = re.compile(rb"\\x([0-9A-Fa-f]{2})")


def colon_field(text: str) -> str:
    """A --with-colons field read back: GnuPG writes a colon, a backslash and any control
    character in a user id as \\xHH (DETAILS, "Format of the colon listings")."""
    raw = text.encode("utf-8", "surrogateescape")
    return _COLON_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw).decode("utf-8",
                                                                               "replace")


# An address in a user id or a certificate's name: "Name <addr>", or a bare addr.
_ADDRESS = re.compile(r"<([^<>\s]+@[^<>\s]+)>|\b([^<>\s:/=]+@[^<>\s/]+)")


def addresses_in(user_id: str) -> list[str]:
    """The e-mail addresses a user id (or a certificate's name) names, lower-cased."""
    return [(match.group(1) or match.group(2)).lower().rstrip(">")
            for match in _ADDRESS.finditer(user_id)]


class GnuPG:
    """One of GnuPG's programs ("gpg" or "gpgsm") with the user's home and a timeout."""

    def __init__(self, program: str = "gpg", *, home: Path | None = None,
                 timeout: float = DEFAULT_TIMEOUT) -> None:
        self.program = program
        self.home = home
        self.timeout = timeout

    def run(self, args: Sequence[str], data: bytes = b"", *,
            passphrase: str | None = None) -> GpgRun:
        """Run the program with `args` (after the options every run takes), `data` on its
        standard input. Raises CryptoError when it cannot be run or does not finish."""
        # Loopback always: the agent must never start a pinentry, which (the curses one) would
        # draw on the terminal the interface owns. Without a passphrase given, a key that needs
        # one fails with NEED_PASSPHRASE, and the interface asks.
        command = [self.program, "--batch", "--no-tty", "--with-colons",
                   "--pinentry-mode", "loopback"]
        if self.home is not None:
            command += ["--homedir", str(self.home)]
        pass_fds: list[int] = []
        passphrase_read = -1
        if passphrase is not None:
            passphrase_read, passphrase_write = os.pipe()
            os.write(passphrase_write, passphrase.encode() + b"\n")
            os.close(passphrase_write)
            pass_fds.append(passphrase_read)
            command += ["--passphrase-fd", str(passphrase_read)]
        with tempfile.TemporaryFile() as status:
            pass_fds.append(status.fileno())
            command += ["--status-fd", str(status.fileno()), *args]
            try:
                done = subprocess.run(command, input=data, capture_output=True,
                                      pass_fds=pass_fds, timeout=self.timeout, check=False)
            except FileNotFoundError as exc:
                raise CryptoError(
                    f"{self.program} is not installed: signed and encrypted mail needs GnuPG"
                    f" (on Debian: apt install {'gpgsm' if self.program == 'gpgsm' else 'gnupg'})"
                ) from exc
            except subprocess.TimeoutExpired as exc:
                raise CryptoError(
                    f"{self.program} did not finish within {self.timeout:g} s") from exc
            except OSError as exc:
                raise CryptoError(f"could not run {self.program}: {exc}") from exc
            finally:
                if passphrase_read >= 0:
                    os.close(passphrase_read)
            status.seek(0)
            lines = parse_status(status.read())
        return GpgRun(done.returncode, done.stdout, lines,
                      done.stderr.decode("utf-8", "replace"))

    def run_with_files(self, args: Sequence[str], files: Sequence[bytes], data: bytes = b"",
                       *, passphrase: str | None = None) -> GpgRun:
        """`run`, with each of `files` written to a private temporary file whose path takes
        the place of "{0}", "{1}"... in `args` (a detached signature, a recipient's key)."""
        with tempfile.TemporaryDirectory(prefix="tui-mail-gpg-") as folder:
            paths = []
            for index, content in enumerate(files):
                path = Path(folder) / f"part{index}"
                path.write_bytes(content)
                paths.append(str(path))
            # only a whole "{N}" is a file: an address may hold braces
            filled = [paths[int(m.group(1))] if (m := re.fullmatch(r"\{(\d+)\}", arg)) else arg
                      for arg in args]
            return self.run(filled, data, passphrase=passphrase)
