"""The one way out to the terminal for the subcommands: everything they print is made safe.

Folder names, subjects, senders, file names, paths and server replies reach stdout and stderr
through many `print` calls; cleaning each at its call is a promise that the next call forgets.
So `main` puts a `SafeStream` in front of stdout and stderr before any subcommand runs (and
before argparse, whose errors quote the arguments): every write passes through the sanitizer
the interface uses (escape sequences, C0/C1 controls, DEL, bidi controls and invisible
characters removed). Tabs and newlines are kept: scripts split on them. A carriage return is
not: it would let a name overwrite the line it is printed on. A progress line, which rewrites
itself with carriage returns, cleans its own text and writes to `progress_stream`.

The interface itself (Textual) writes escape sequences on purpose: `main` takes the streams
back before it starts.
"""

from __future__ import annotations

import io
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from typing import TextIO

_TABS_AND_NEWLINES = {ord("\t"): None, ord("\n"): None}


def clean_output(text: str) -> str:
    """`text` made safe to write to a terminal, tabs and newlines kept."""
    if text.isascii() and text.translate(_TABS_AND_NEWLINES).isprintable():  # the usual case
        return text
    from tui_mail.mail.sanitize import sanitize_text  # its tables: only for text that needs them

    return "\t".join(sanitize_text(piece) for piece in text.split("\t"))


def progress_stream(stream: TextIO) -> TextIO:
    """The stream under a SafeStream: for a progress line's carriage returns, written with
    text the caller has passed through `clean_output`."""
    return stream.inner if isinstance(stream, SafeStream) else stream


class SafeStream(io.TextIOBase):
    """A text stream that cleans every write and hands it to the stream it wraps."""

    def __init__(self, inner: TextIO) -> None:
        super().__init__()
        self.inner = inner

    def write(self, text: str) -> int:
        self.inner.write(clean_output(text))
        return len(text)

    def flush(self) -> None:
        self.inner.flush()

    def isatty(self) -> bool:
        return self.inner.isatty()

    def fileno(self) -> int:
        return self.inner.fileno()

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self.inner.encoding

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return self.inner.errors


def guard_streams() -> None:
    """Put a SafeStream in front of stdout and stderr (once)."""
    if not isinstance(sys.stdout, SafeStream):
        sys.stdout = SafeStream(sys.stdout)
    if not isinstance(sys.stderr, SafeStream):
        sys.stderr = SafeStream(sys.stderr)


def release_streams() -> None:
    """Give the interface the real streams back."""
    if isinstance(sys.stdout, SafeStream):
        sys.stdout = sys.stdout.inner
    if isinstance(sys.stderr, SafeStream):
        sys.stderr = sys.stderr.inner
