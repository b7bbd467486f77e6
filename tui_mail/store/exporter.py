"""Copy cached messages out of the cache: into an mbox file (appended) or a Maildir folder.

The counterpart of `importer.py`, and what `tui-mail export` and the reader's "save" actions
call. Both formats are the ones `tui-mail import`, mutt, NeoMutt, aerc and Python's `mailbox`
read:

- mbox (the "mboxo" that mutt and `mailbox.mbox` write): an envelope line "From <sender>
  <asctime>", the message with LF line ends, every line that starts with "From " written as
  ">From ", and an empty line after it. The cache's flags go into Status ("RO" for read) and
  X-Status ("A" answered, "F" flagged, "D" deleted) headers, which replace any the message had.
  The file is locked (fcntl) while a batch is appended, as mutt locks it.
- Maildir: each message byte for byte in its own file, written to tmp/ and renamed into cur/
  with its flags in the name (":2,FS"). The name comes from the message's bytes, so exporting
  the same messages again (an export cut short and run again, say) adds only the missing ones.

A message whose body the cache does not hold (headers only, not downloaded yet) is not
exported: it is counted in `ExportResult.not_downloaded` for the caller to say so.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import logging
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO

from tui_mail.errors import TuiMailError
from tui_mail.model import Flags, MessageSummary
from tui_mail.store.db import Store

PAGE = 500  # search results read at a time
log = logging.getLogger(__name__)


class ExportFormat(StrEnum):
    MBOX = "mbox"
    MAILDIR = "maildir"


@dataclass
class ExportResult:
    written: int = 0
    already_there: int = 0  # Maildir only: a file with the same bytes was there
    not_downloaded: int = 0  # headers only in the cache: nothing to write


def format_for(dest: str) -> ExportFormat:
    """The format a destination, as the user typed it, asks for: an existing folder, or a path
    ending in "/", is a Maildir; anything else an mbox file."""
    if dest.endswith(os.sep) or Path(dest).is_dir():
        return ExportFormat.MAILDIR
    return ExportFormat.MBOX


def matching_ids(store: Store, query: str, *, account: str | None = None,
                 folder: str | None = None) -> list[int]:
    """Every message matching `query` in the scope, oldest first (the order mail readers
    expect in an mbox), read a page at a time."""
    ids: list[int] = []
    before: int | None = None
    while True:
        page = store.listing.search(query, account=account, folder=folder, limit=PAGE,
                            before_key=before)
        ids.extend(row.id for row in page)
        if len(page) < PAGE:
            break
        before = page[-1].id
    ids.reverse()
    return ids


def export_messages(store: Store, ids: Iterable[int], dest: Path, fmt: ExportFormat, *,
                    progress: Callable[[int], None] | None = None) -> ExportResult:
    """Write the cached messages `ids` to `dest` in `fmt`; `progress(n)` after each batch."""
    result = ExportResult()
    writer = MaildirWriter(dest) if fmt is ExportFormat.MAILDIR else MboxWriter(dest)
    seen = 0
    with writer:
        for batch in _batches(ids, PAGE):
            rows = store.listing.summaries(batch)
            entries: list[tuple[MessageSummary, bytes]] = []
            for message_id in batch:
                raw = store.raw_message(message_id)
                row = rows.get(message_id)
                if row is None:
                    continue  # expunged by a sync since the search
                if raw is None:
                    result.not_downloaded += 1
                    continue
                entries.append((row, raw))
            written = writer.write(entries)
            result.written += written
            result.already_there += len(entries) - written
            seen += len(batch)
            if progress is not None:
                progress(seen)
    return result


def _batches(ids: Iterable[int], size: int) -> Iterator[list[int]]:
    batch: list[int] = []
    for message_id in ids:
        batch.append(message_id)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


# ---- mbox ------------------------------------------------------------------------------

_STATUS_LINE = re.compile(rb"^(?:X-)?Status:[^\n]*\n(?:[ \t][^\n]*\n)*", re.IGNORECASE | re.MULTILINE)


def mbox_entry(raw: bytes, flags: Flags, sender: str, date: datetime) -> bytes:
    """One message as an mbox entry: envelope line, headers with the flags, quoted body, and
    the empty line that separates it from the next."""
    text = raw.replace(b"\r\n", b"\n")
    end = text.find(b"\n\n")
    head, body = (text, b"") if end < 0 else (text[: end + 1], text[end + 1:])
    if head and not head.endswith(b"\n"):
        head += b"\n"
    head = _STATUS_LINE.sub(b"", head)
    status = b"R" if flags.seen else b""
    extra = b"".join(letter for on, letter in ((flags.answered, b"A"), (flags.flagged, b"F"),
                                               (flags.deleted, b"D")) if on)
    head += b"Status: " + status + b"O\n"
    if extra:
        head += b"X-Status: " + extra + b"\n"
    if body.startswith(b"From "):
        body = b">" + body
    body = body.replace(b"\nFrom ", b"\n>From ")
    if head.startswith(b"From "):
        head = b">" + head
    head = head.replace(b"\nFrom ", b"\n>From ")
    message = head + (body if body else b"\n")
    if not message.endswith(b"\n"):
        message += b"\n"
    return envelope_line(sender, date) + message + b"\n"


def envelope_line(sender: str, date: datetime) -> bytes:
    """mbox's "From " line: the sender's address (one word, else MAILER-DAEMON) and the date
    in asctime form, in UTC."""
    address = sender.strip()
    if not address or not all("!" <= c <= "~" and c not in '<>"' for c in address):
        address = "MAILER-DAEMON"
    when = date.astimezone(UTC) if date.tzinfo else date
    return f"From {address} {when:%a %b %d %H:%M:%S %Y}\n".encode("ascii")


class MboxWriter:
    """Appends entries to an mbox file, holding an fcntl lock on it while it is open.

    All or nothing: if anything fails before the end (a full disk, a cache error), the file is
    cut back to the size it had, under the same lock, so no half-written message is left for
    a mail reader to take for a whole one. A new file is made readable by its owner only."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: BinaryIO | None = None
        self._start = 0

    def __enter__(self) -> MboxWriter:
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        except OSError as exc:
            raise TuiMailError(f"cannot write {self.path}: {exc.strerror or exc}") from None
        self._file = os.fdopen(fd, "ab", buffering=0)
        try:
            fcntl.lockf(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            self._file.close()
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                raise TuiMailError(f"{self.path} is locked by another program (a mail reader"
                                   " that has it open?): nothing was written") from None
            raise TuiMailError(f"cannot lock {self.path}: {exc.strerror or exc}") from None
        self._start = self._file.seek(0, os.SEEK_END)
        try:
            self._separate()
        except BaseException:
            self.__exit__(*sys.exc_info())
            raise
        return self

    def _separate(self) -> None:
        """An mbox that does not end with an empty line gets one, so the first entry's "From "
        line starts a message instead of continuing the last one."""
        if self._start == 0:
            return
        with self.path.open("rb") as fh:
            fh.seek(max(0, self._start - 2))
            tail = fh.read(2)
        if not tail.endswith(b"\n"):
            self._write(b"\n\n")
        elif self._start >= 2 and not tail.endswith(b"\n\n"):
            self._write(b"\n")

    def _write(self, data: bytes) -> None:
        assert self._file is not None
        view = memoryview(data)
        try:
            while view:
                view = view[self._file.write(view) or 0:]
        except OSError as exc:
            raise TuiMailError(f"cannot write {self.path}: {exc.strerror or exc}; nothing was"
                               " added to it") from None

    def write(self, entries: list[tuple[MessageSummary, bytes]]) -> int:
        for row, raw in entries:
            self._write(mbox_entry(raw, row.flags, row.sender.email, row.date))
        return len(entries)

    def __exit__(self, exc_type: object, *rest: object) -> None:
        assert self._file is not None
        try:
            if exc_type is None:
                try:
                    os.fsync(self._file.fileno())
                    return
                except OSError as exc:
                    self._cut_back()
                    raise TuiMailError(f"cannot write {self.path}: {exc.strerror or exc};"
                                       " nothing was added to it") from None
            self._cut_back()
        finally:
            self._file.close()  # closing the file releases the lock

    def _cut_back(self) -> None:
        assert self._file is not None
        try:
            os.ftruncate(self._file.fileno(), self._start)
        except OSError as exc:
            log.warning("could not cut %s back to %d bytes: %s", self.path, self._start, exc)


# ---- Maildir ---------------------------------------------------------------------------

_LETTERS = (("draft", "D"), ("flagged", "F"), ("forwarded", "P"), ("answered", "R"),
            ("seen", "S"), ("deleted", "T"))  # in ASCII order, as the Maildir spec asks


def maildir_info(flags: Flags) -> str:
    return ":2," + "".join(letter for name, letter in _LETTERS if getattr(flags, name))


def maildir_base(raw: bytes) -> str:
    """The unique part of a message's file name: from its bytes, so the same message is never
    written twice into one Maildir."""
    return "tui-mail." + hashlib.sha256(raw).hexdigest()[:32]


class MaildirWriter:
    """Writes messages as files of a Maildir (creating cur/, new/ and tmp/ if need be)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._there: set[str] = set()

    def __enter__(self) -> MaildirWriter:
        try:
            for sub in ("cur", "new", "tmp"):
                (self.path / sub).mkdir(mode=0o700, parents=True, exist_ok=True)
            for sub in ("cur", "new"):
                with os.scandir(self.path / sub) as entries:
                    self._there.update(entry.name.partition(":")[0] for entry in entries)
        except OSError as exc:
            raise TuiMailError(f"cannot write the Maildir {self.path}:"
                               f" {exc.strerror or exc}") from None
        return self

    def write(self, entries: list[tuple[MessageSummary, bytes]]) -> int:
        written = 0
        for row, raw in entries:
            base = maildir_base(raw)
            if base in self._there:
                continue
            tmp = self.path / "tmp" / base
            try:
                with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
                               "wb") as fh:
                    fh.write(raw)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.utime(tmp, (row.date.timestamp(), row.date.timestamp()))
                os.rename(tmp, self.path / "cur" / (base + maildir_info(row.flags)))
            except OSError as exc:
                tmp.unlink(missing_ok=True)
                raise TuiMailError(f"cannot write into the Maildir {self.path}:"
                                   f" {exc.strerror or exc}; the messages before this"
                                   " one are there") from None
            self._there.add(base)
            written += 1
        return written

    def __exit__(self, *exc: object) -> None:
        try:
            fd = os.open(self.path / "cur", os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
