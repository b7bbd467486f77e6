"""New mail fetched whole in one pass: what `tui-mail sync --bodies` does for a folder with
many messages not cached yet (the first sync of a large folder), instead of a header pass and
then a body download over the same messages.

    reader thread:  UID FETCH chunk (UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[]), newest
                    chunk first, one message at a time  --Feed-->
    calling thread: batches to the TextPool's workers (`text_worker.prepare_batch`: the
                    header row, the search text and the compressed bytes of each message)
                    --in order-->
    writer thread:  one transaction per FETCH (`Store.add_prepared`), while the calling
                    thread goes on feeding the workers

Each FETCH's messages are written newest UID first, as the header pass writes them, so the
rows, their ids and their threads are the same whichever way the folder was synced. The
folder's sync state advances only when the engine has finished the folder: a run cut off
keeps every FETCH written so far (and the messages of the one under way), and the next run
asks only for what the cache does not hold.
"""

from __future__ import annotations

import collections
import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol

from tui_mail.model import Flags
from tui_mail.remote.backend import FlagUpdate, RemoteMessage, abort_backend
from tui_mail.store.prepare import Prepared
from tui_mail.store.types import NewMessage
from tui_mail.sync.body_download import STOP_WAIT, Feed
from tui_mail.sync.body_pool import TextPool

WHOLE_FROM = 200  # new messages in a folder from which `sync --bodies` fetches them whole
FETCH_UIDS = 500  # UIDs per FETCH; one transaction each
PARSE_BATCH = 50  # messages per batch given to a worker
READ_AHEAD = 4 << 20  # bytes read from the server and not yet taken by the calling thread
WRITES_AHEAD = 1  # transactions waiting for the writer thread besides the one it writes

log = logging.getLogger(__name__)


class _Reader(threading.Thread):
    """Fetches the chunks in order; puts ("msg", RemoteMessage) for each message, ("flags",
    FlagUpdate) for a flag change the server told meanwhile, ("done",) after each FETCH,
    ("error", exc) when one fails."""

    def __init__(self, backend: Any, folder: str, chunks: list[list[int]], feed: Feed) -> None:
        super().__init__(name="whole-reader", daemon=True)
        self.backend = backend
        self.folder = folder
        self.chunks = chunks
        self.feed = feed

    def run(self) -> None:
        try:
            for chunk in self.chunks:
                stream = self.backend.fetch_whole(self.folder, chunk)
                try:
                    for message in stream:
                        if isinstance(message, FlagUpdate):
                            if not self.feed.put(("flags", message)):
                                return
                        elif not self.feed.put(("msg", message), len(message.raw)):
                            return
                finally:
                    stream.close()  # the rest of an answer left unread is read here
                if not self.feed.put(("done",)):
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the calling thread, raised there
            self.feed.put(("error", exc), always=True)


class PreparedWriter(Protocol):
    """The part of tui_mail.store.Store a whole fetch writes through: messages already parsed
    (`tui_mail.store.prepare`), one transaction a batch."""

    def add_prepared(self, account: str, folder: str, prepared: list[Prepared]) -> list[int]: ...


class WholeFetch:
    """One folder's new messages, fetched whole and written with their bodies.
    `written` counts the rows added; `on_write(done)` is called after each transaction.
    `flag_news` holds the flag changes the server told during the FETCHes (the last one for
    each UID), for messages fetched earlier in the run or cached before it: the caller applies
    them once `run` has returned (or raised), when every row fetched is written."""

    def __init__(self, store: PreparedWriter, account: str, folder: str, pool: TextPool,
                 on_write: Callable[[int], None] = lambda done: None) -> None:
        self.store = store
        self.account = account
        self.folder = folder
        self._pool = pool
        self._on_write = on_write
        self.written = 0
        self.flag_news: dict[int, Flags] = {}
        self._batch: list[RemoteMessage] = []
        # In order: a parse batch (its messages and their future) or None (a FETCH ended).
        self._pending: collections.deque[
            tuple[list[RemoteMessage], Future[Any]] | None] = collections.deque()
        self._parsing = 0
        self._rows: list[Prepared] = []
        # Transactions handed to the writer thread (sqlite3 lets go of the GIL while SQLite
        # works: the workers are fed meanwhile), at most WRITES_AHEAD waiting.
        self._writer: ThreadPoolExecutor | None = None
        self._writes: collections.deque[tuple[Future[list[int]], int]] = collections.deque()

    def run(self, backend: Any, uids: Sequence[int]) -> None:
        """Fetch `uids` (newest first) and write them; raises the backend's error after
        writing what was received."""
        chunks = [list(uids[i:i + FETCH_UIDS]) for i in range(0, len(uids), FETCH_UIDS)]
        feed = Feed(READ_AHEAD)
        reader = _Reader(backend, self.folder, chunks, feed)
        reader.start()
        done = False
        try:
            ended = 0
            while ended < len(chunks):
                item = feed.get()
                assert isinstance(item, tuple)
                if item[0] == "msg":
                    self.flag_news.pop(item[1].uid, None)  # its own flags are newer
                    self._batch.append(item[1])
                    if len(self._batch) >= PARSE_BATCH:
                        self._submit()
                elif item[0] == "flags":
                    self.flag_news[item[1].uid] = item[1].flags
                elif item[0] == "done":
                    ended += 1
                    self._submit()
                    self._pending.append(None)
                    self._drain(self._pool.busy)
                else:
                    self._finish()  # what was received is kept
                    raise item[1]
                self._written(block=False)
            self._finish()
            done = True
        finally:
            self._close_writer(wait=done)
            feed.close()
            reader.join(None if done else STOP_WAIT)
            if reader.is_alive():  # stuck on the server: cut the connection (it is not reused)
                abort_backend(backend)
                reader.join()

    def _submit(self) -> None:
        if self._batch:
            batch, self._batch = self._batch, []
            future = self._pool.submit_prepare(
                [(m.raw, m.internaldate.timestamp() if m.internaldate else None, m.size)
                 for m in batch])
            self._pending.append((batch, future))
            self._parsing += 1
        self._drain(self._pool.busy)

    def _drain(self, keep: int) -> None:
        """Take results in order until at most `keep` batches are being parsed; a FETCH's
        end met on the way writes its rows."""
        while self._pending and (self._parsing > keep or self._pending[0] is None):
            entry = self._pending.popleft()
            if entry is None:
                self._write()
                continue
            self._parsing -= 1
            batch, future = entry
            self._rows.extend(_prepared(m, packed)
                              for m, packed in zip(batch, future.result(), strict=True))

    def _finish(self) -> None:
        self._submit()
        self._drain(0)
        self._write()
        while self._writes:
            self._written(block=True)

    def _write(self) -> None:
        if not self._rows:
            return
        rows, self._rows = self._rows, []
        rows.sort(key=lambda p: p.item.uid or 0, reverse=True)  # as the header pass does
        if self._writer is None:
            self._writer = ThreadPoolExecutor(1, thread_name_prefix="whole-writer")
        while len(self._writes) >= WRITES_AHEAD:
            self._written(block=True)
        future = self._writer.submit(self.store.add_prepared, self.account, self.folder, rows)
        self._writes.append((future, len(rows)))

    def _written(self, *, block: bool) -> None:
        """Count the transactions done, in order (the oldest waited for when `block`); a
        failed one raises its error here."""
        while self._writes and (block or self._writes[0][0].done()):
            future, count = self._writes.popleft()
            future.result()
            self.written += count
            self._on_write(self.written)
            block = False

    def _close_writer(self, *, wait: bool) -> None:
        """Stop the writer thread; after a failure, the transactions under way are let
        finish (what was received is kept) but their errors are not raised over the first."""
        writer, self._writer = self._writer, None
        if writer is None:
            return
        if not wait:
            while self._writes:
                try:
                    self._written(block=True)
                except Exception:  # noqa: BLE001 - the error being raised matters more
                    log.exception("writing fetched messages into the cache")
        writer.shutdown(wait=True)


def _prepared(message: RemoteMessage, packed: tuple[Any, ...] | None) -> Prepared:
    """The row of a fetched message from its worker's answer. One the worker could not
    prepare (a defect) is cached from its header block alone: the body download tries its
    body again later, as it does for any headers-only row."""
    if packed is None:
        log.warning("a fetched message (UID %d) could not be prepared; its header is kept and "
                    "its body fetched again later", message.uid)
        return Prepared.of(NewMessage(uid=message.uid, flags=message.flags,
                                      raw_headers=message.raw, size=message.size,
                                      internaldate=message.internaldate))
    # raw=b"": the row is a whole message (body_state full) whose bytes the worker has
    # compressed already (stored_raw); the uncompressed copy is not kept.
    item = NewMessage(uid=message.uid, flags=message.flags, raw=b"", size=message.size,
                      internaldate=message.internaldate)
    return Prepared.unpack(item, packed)
