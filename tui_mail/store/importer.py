"""Import a Maildir or an mbox file into a local folder of the cache.

Resumable: imported messages are keyed by a hash of their bytes (unique per folder), and each
batch is one transaction, so re-running after a kill adds only what is missing. The same bytes
twice in one source are kept once.

Memory is bounded by the work in flight, not by the source: the mbox is read in one pass
(`mbox_reader`), the Maildir's listing is streamed in directory order (a sorted listing of a
million names would hold them all), and at most a few batches are being parsed at a time.
"""

from __future__ import annotations

import os
import re
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tui_mail.errors import CacheError
from tui_mail.model import Flags
from tui_mail.store.db import Store
from tui_mail.store.mbox_reader import mbox_messages
from tui_mail.store.prepare import Prepared, prepare, prepare_raw
from tui_mail.store.types import ImportResult, NewMessage

LOCAL_ACCOUNT = "local"
_FROM_LINE = re.compile(rb"^From ")
BATCH_BYTES = 16 << 20  # a batch (one transaction) ends at this many bytes of messages...
CHUNK = 50  # ... and is parsed in chunks of this many messages, one per task
IN_FLIGHT = 2  # batches being parsed while one is written


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


def maildir_items(path: Path) -> Iterator[NewMessage | None]:
    for sub in ("cur", "new"):
        with os.scandir(path / sub) as entries:
            for entry in entries:
                if entry.name.startswith(".") or not entry.is_file():
                    continue
                try:
                    with open(entry.path, "rb") as fh:
                        raw = fh.read()
                        mtime = datetime.fromtimestamp(os.fstat(fh.fileno()).st_mtime, UTC)
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
    for raw in mbox_messages(path):
        yield NewMessage(uid=None, flags=mbox_flags(raw), raw=raw, size=len(raw))


def _items(path: Path) -> Iterator[NewMessage | None]:
    if is_maildir(path):
        return maildir_items(path)
    if path.is_file():
        with path.open("rb") as fh:
            head = fh.read(5)
        if _FROM_LINE.match(head) or not head.strip():
            return _mbox_items(path)
    raise CacheError(f"{path} is neither a Maildir (cur/, new/) nor an mbox file")


def _batches(items: Iterable[NewMessage | None], size: int,
             counts: list[int]) -> Iterator[list[NewMessage]]:
    """Batches of at most `size` messages or BATCH_BYTES bytes; counts[0] is the number of
    unreadable items met so far."""
    batch: list[NewMessage] = []
    held = 0
    for item in items:
        if item is None:
            counts[0] += 1
            continue
        batch.append(item)
        held += item.size
        if len(batch) >= size or held >= BATCH_BYTES:
            yield batch
            batch, held = [], 0
    if batch:
        yield batch


def _worker_start() -> None:
    """In each worker: Ctrl-C is the writer's to handle (it stops handing out work and waits
    for the chunks under way), not a traceback from every worker."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _prepare_chunk(chunk: list[tuple[bytes, datetime | None]]) -> list[tuple[Any, ...]]:
    """Run in a worker: the packed Prepared of each (raw, internaldate)."""
    return [prepare_raw(raw, date) for raw, date in chunk]


class _Parsing:
    """One batch on its way: its messages not cached yet, and their parse (done or under way)."""

    def __init__(self, read: int, fresh: list[NewMessage], pool: ProcessPoolExecutor | None):
        self.read = read
        self.fresh = fresh
        self.futures: list[Future[list[tuple[Any, ...]]]] = []
        if pool is not None:
            for start in range(0, len(fresh), CHUNK):
                chunk = [(i.raw or b"", i.internaldate) for i in fresh[start:start + CHUNK]]
                self.futures.append(pool.submit(_prepare_chunk, chunk))

    def prepared(self) -> list[Prepared]:
        if not self.futures:
            return [prepare(item) for item in self.fresh]
        packed = [p for future in self.futures for p in future.result()]
        return [Prepared.unpack(item, p) for item, p in zip(self.fresh, packed, strict=True)]


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

    `progress` is called with the number of messages read so far, after each batch is
    written. Parsing costs far more than writing: `workers` > 1 parses in that many
    processes while this one reads the source and writes; at most IN_FLIGHT batches are
    handed to them ahead of the one being written.
    """
    items = _items(Path(path))
    before = store.folder(account, folder)
    total_before = before.total if before else 0
    read = 0
    counts = [0]
    pool = ProcessPoolExecutor(workers, initializer=_worker_start) if workers > 1 else None
    pending: deque[_Parsing] = deque()

    def write_oldest() -> None:
        batch = pending.popleft()
        store.add_prepared(account, folder, batch.prepared())
        if progress:
            progress(batch.read)

    try:
        for batch in _batches(items, batch_size, counts):
            read += len(batch)
            known = store.cached_ids(account, folder, batch)
            fresh = [item for item, k in zip(batch, known, strict=True) if k is None]
            pending.append(_Parsing(read, fresh, pool))
            while len(pending) > (IN_FLIGHT if pool is not None else 0):
                write_oldest()
        while pending:
            write_oldest()
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    after = store.folder(account, folder)
    added = (after.total if after else 0) - total_before
    return ImportResult(added=added, skipped=read - added, failed=counts[0])
