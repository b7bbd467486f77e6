"""Import a Maildir or an mbox file into a local folder of the cache.

Resumable: imported messages are keyed by a hash of their bytes (unique per folder), and each
batch is one transaction, so re-running after a kill adds only what is missing. The same bytes
twice in one source are kept once.
"""

from __future__ import annotations

import mailbox
import os
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from tui_mail.errors import CacheError
from tui_mail.model import Flags
from tui_mail.store.db import Store
from tui_mail.store.prepare import prepare
from tui_mail.store.types import ImportResult, NewMessage

LOCAL_ACCOUNT = "local"
_FROM_LINE = re.compile(rb"^From ")


def is_maildir(path: Path) -> bool:
    return path.is_dir() and (path / "cur").is_dir() and (path / "new").is_dir()


def maildir_flags(filename: str) -> Flags:
    """Flags from the Maildir info suffix ":2,FRS" (P = passed/forwarded, T = trashed)."""
    _, sep, info = filename.rpartition(":2,")
    letters = set(info) if sep else set()
    return Flags(
        seen="S" in letters,
        answered="R" in letters,
        flagged="F" in letters,
        deleted="T" in letters,
        draft="D" in letters,
        forwarded="P" in letters,
    )


def _maildir_items(path: Path) -> Iterator[NewMessage | None]:
    for sub in ("cur", "new"):
        for entry in sorted(os.scandir(path / sub), key=lambda e: e.name):
            if not entry.is_file() or entry.name.startswith("."):
                continue
            try:
                raw = Path(entry.path).read_bytes()
                mtime = datetime.fromtimestamp(entry.stat().st_mtime, UTC)
            except OSError:
                yield None
                continue
            yield NewMessage(
                uid=None,
                flags=maildir_flags(entry.name),
                raw=raw,
                size=len(raw),
                internaldate=mtime,
            )


_STATUS = re.compile(rb"^(?:X-)?Status:[ \t]*([A-Za-z]*)", re.MULTILINE | re.IGNORECASE)
_HEADER_END = re.compile(rb"\r?\n\r?\n")


def mbox_flags(raw: bytes) -> Flags:
    """Flags from the Status/X-Status headers mbox writers use (R read, A answered, F, D)."""
    end = _HEADER_END.search(raw)
    head = raw[: end.start()] if end else raw
    letters = set(b"".join(_STATUS.findall(head)).decode("ascii"))
    return Flags(
        seen="R" in letters, answered="A" in letters, flagged="F" in letters, deleted="D" in letters
    )


def _mbox_items(path: Path) -> Iterator[NewMessage | None]:
    box = mailbox.mbox(path, create=False)
    try:
        for key in box.iterkeys():
            try:
                raw = box.get_bytes(key)
            except (OSError, KeyError):
                yield None
                continue
            yield NewMessage(uid=None, flags=mbox_flags(raw), raw=raw, size=len(raw))
    finally:
        box.close()


def import_path(
    store: Store,
    path: Path,
    account: str = LOCAL_ACCOUNT,
    folder: str = "Imported",
    progress: Callable[[int], None] | None = None,
    batch_size: int = 500,
    workers: int = 1,
) -> ImportResult:
    """Import every message of a Maildir (cur/ and new/) or mbox file into account/folder.

    `progress` is called with the number of messages read so far, after each batch.
    Parsing costs far more than writing (about 5 ms a message in `email`): `workers` > 1
    parses in that many processes while this one writes.
    """
    path = Path(path)
    if is_maildir(path):
        items = _maildir_items(path)
    elif path.is_file():
        with path.open("rb") as fh:
            head = fh.read(5)
        if not _FROM_LINE.match(head) and head.strip():
            raise CacheError(f"{path} is neither a Maildir (cur/, new/) nor an mbox file")
        items = _mbox_items(path)
    else:
        raise CacheError(f"{path} is neither a Maildir (cur/, new/) nor an mbox file")

    before = store.folder(account, folder)
    total_before = before.total if before else 0
    read = failed = 0
    pool = ProcessPoolExecutor(workers) if workers > 1 else None

    def write(batch: list[NewMessage]) -> None:
        known = store.cached_ids(account, folder, batch)
        batch = [item for item, k in zip(batch, known, strict=True) if k is None]
        if pool is None:
            prepared = [prepare(item) for item in batch]
        else:
            prepared = list(pool.map(prepare, batch, chunksize=max(1, len(batch) // workers)))
        store.add_prepared(account, folder, prepared)
        if progress:
            progress(read)

    try:
        batch: list[NewMessage] = []
        for item in items:
            if item is None:
                failed += 1
                continue
            batch.append(item)
            read += 1
            if len(batch) >= batch_size:
                write(batch)
                batch = []
        if batch:
            write(batch)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    after = store.folder(account, folder)
    added = (after.total if after else 0) - total_before
    return ImportResult(added=added, skipped=read - added, failed=failed)
