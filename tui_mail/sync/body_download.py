"""A download of many bodies: the server's answers, the text extraction and the cache writes
overlap, each bounded, so that the download runs at the pace of its slowest part in memory
that does not grow with the mailbox.

    reader thread:  UID FETCH set (BODY.PEEK[]) ... one body at a time  --Feed (bytes)-->
    calling thread: batches to the TextPool (worker processes)  --in order-->  set_bodies
                    (hundreds per transaction), and the plan of the next FETCH

The reader owns the connection while the download runs; it reads ahead up to READ_AHEAD
bytes, then waits for the calling thread. What to fetch next is read again from the cache
before each FETCH (`wanted`: a body cached meanwhile, by this program or another, is not
fetched), from where the last read stopped, so reading what is wanted costs O(bodies) in all.
A FETCH asks for at most CHUNK UIDs and CHUNK_BYTES of listed size, so stopping early (the
app yields to a sync, or a stop) waits for at most ORDERS_AHEAD such answers.

When the connection fails, the bodies already received are written before the error is
raised: nothing read is lost, and the next download starts where this one stopped.
"""

from __future__ import annotations

import collections
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass

from tui_mail.remote.backend import FetchBackend, abort_backend
from tui_mail.store.db import Store
from tui_mail.store.extract import BodyText
from tui_mail.sync.body_pool import Extracted, TextPool, as_body_text

CHUNK = 250  # UIDs per FETCH
CHUNK_BYTES = 4 << 20  # listed size per FETCH (at least one message)
ORDERS_AHEAD = 2  # FETCHes given to the reader before the first one is done
READ_AHEAD = 4 << 20  # bytes read from the server and not yet taken by the calling thread
PARSE_BATCH = 50  # bodies per batch given to the text pool
PARSE_BATCH_BYTES = 1 << 20
WRITE_BATCH = 500  # bodies per transaction
WRITE_BATCH_BYTES = 8 << 20
STOP_WAIT = 2.0  # seconds a stopped reader gets to finish its answer before the connection is cut

log = logging.getLogger(__name__)

Wanted = tuple[int, str, int, int]  # row id, folder, uid, listed size (Store.bodies_wanted)


@dataclass(frozen=True)
class Order:
    """One FETCH: the folder and, for each UID asked, its cache row."""

    folder: str
    rows: dict[int, int]


class Feed:
    """The reader's bodies, handed to the calling thread; the reader waits while READ_AHEAD
    bytes are waiting (one item is always let through, however large)."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._cond = threading.Condition()
        self._items: collections.deque[tuple[object, int]] = collections.deque()
        self._bytes = 0
        self._closed = False

    def put(self, item: object, size: int = 0, *, always: bool = False) -> bool:
        """False once the calling thread stopped listening (the reader stops then)."""
        with self._cond:
            while (not always and not self._closed and self._items
                   and self._bytes + size > self._limit):
                self._cond.wait()
            if self._closed and not always:
                return False
            self._items.append((item, size))
            self._bytes += size
            self._cond.notify_all()
            return True

    def get(self) -> object:
        with self._cond:
            while not self._items:
                self._cond.wait()
            item, size = self._items.popleft()
            self._bytes -= size
            self._cond.notify_all()
            return item

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._items.clear()
            self._bytes = 0
            self._cond.notify_all()


class Reader(threading.Thread):
    """Runs the orders on the backend, one FETCH each, and puts ("body", order, uid, raw) for
    each body, ("done", order, uids got) after each FETCH, ("error", exc) if one fails."""

    def __init__(self, backend: FetchBackend, feed: Feed) -> None:
        super().__init__(name="bodies-reader", daemon=True)
        self.backend = backend
        self.feed = feed
        self.orders: queue.Queue[Order | None] = queue.Queue()

    def run(self) -> None:
        try:
            while (order := self.orders.get()) is not None:
                got: list[int] = []
                stream = self.backend.fetch_bodies(order.folder, list(order.rows))
                try:
                    for uid, raw in stream:
                        got.append(uid)
                        if not self.feed.put(("body", order, uid, raw), len(raw)):
                            return
                finally:
                    close = getattr(stream, "close", None)
                    if close is not None:
                        close()  # the rest of a FETCH left unread is read here, on this thread
                if not self.feed.put(("done", order, got)):
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the calling thread, raised there
            self.feed.put(("error", exc), always=True)


class BulkDownload:
    """One run: `run()` returns when nothing more is wanted, or when `should_yield()` said so
    (then `finished` is False); `written` counts the bodies stored."""

    def __init__(self, store: Store, wanted: Callable[[int | None, int], list[Wanted]],
                 pool: TextPool, *, should_yield: Callable[[], bool] = lambda: False,
                 progress: Callable[[int], None] | None = None) -> None:
        self.store = store
        self._wanted = wanted
        self._pool = pool
        self._should_yield = should_yield
        self._progress = progress
        self.written = 0
        self.finished = True
        self._below: int | None = None  # where the next read of what is wanted starts
        self._in_flight: set[int] = set()  # rows asked for and not written yet
        self._gone: set[int] = set()  # rows the server did not send (expunged meanwhile)
        self._parse_rows: list[tuple[int, bytes]] = []
        self._parse_bytes = 0
        self._parsing: collections.deque[
            tuple[list[tuple[int, bytes]], Future[list[Extracted | None]]]] = collections.deque()
        self._writes: list[tuple[int, bytes, BodyText]] = []
        self._uids: dict[int, int] = {}  # row id -> the UID its body was fetched by
        self._write_bytes = 0

    # -- planning (what is wanted, read again before each FETCH) -----------------------------

    def plan(self) -> Order | None:
        """The next FETCH: the newest wanted bodies of one folder, or None (nothing left, or
        other work waits)."""
        if self._should_yield():
            self.finished = False
            return None
        skip = self._in_flight | self._gone
        rows = [w for w in self._wanted(self._below, CHUNK * 4 + len(skip)) if w[0] not in skip]
        if not rows:
            return None
        folder = rows[0][1]
        taken: dict[int, int] = {}
        size = 0
        for row_id, name, uid, listed in rows:
            if name != folder:
                continue
            if taken and (len(taken) >= CHUNK or size + listed > CHUNK_BYTES):
                break
            taken[uid] = row_id
            size += listed
        chosen = set(taken.values())
        left = [row_id for row_id, *_ in rows if row_id not in chosen]
        # The next read starts at the newest row not taken (other folders' rows are newer
        # than some taken ones); rows above it are all in flight.
        self._below = left[0] + 1 if left else min(chosen)
        self._in_flight |= chosen
        return Order(folder, taken)

    # -- the run -----------------------------------------------------------------------------

    def run(self, backend: FetchBackend) -> None:
        feed = Feed(READ_AHEAD)
        reader = Reader(backend, feed)
        reader.start()
        outstanding = 0
        done = False
        try:
            while outstanding < ORDERS_AHEAD and (order := self.plan()) is not None:
                reader.orders.put(order)
                outstanding += 1
            while outstanding:
                item = feed.get()
                assert isinstance(item, tuple)
                if item[0] == "body":
                    _, order, uid, raw = item
                    self._uids[order.rows[uid]] = uid
                    self._take(order.rows[uid], raw)
                elif item[0] == "done":
                    _, order, got = item
                    outstanding -= 1
                    self._not_sent(order, got)
                    self._parse()  # the end of a FETCH: its last bodies go on
                    if (order := self.plan()) is not None:
                        reader.orders.put(order)
                        outstanding += 1
                else:
                    self.finish()  # what was received is kept
                    raise item[1]
            self.finish()
            done = True
        finally:
            reader.orders.put(None)
            feed.close()
            reader.join(None if done else STOP_WAIT)
            if reader.is_alive():  # stuck on the server: cut the connection (it is not reused)
                abort_backend(backend)
                reader.join()

    def _not_sent(self, order: Order, got: list[int]) -> None:
        missing = set(order.rows) - set(got)
        rows = {order.rows[uid] for uid in missing}
        self._gone |= rows
        self._in_flight -= rows

    def _take(self, row_id: int, raw: bytes) -> None:
        self._parse_rows.append((row_id, raw))
        self._parse_bytes += len(raw)
        if len(self._parse_rows) >= PARSE_BATCH or self._parse_bytes >= PARSE_BATCH_BYTES:
            self._parse()

    def _parse(self) -> None:
        """The waiting bodies to the pool; the oldest results written while it is full."""
        if self._parse_rows:
            batch, self._parse_rows, self._parse_bytes = self._parse_rows, [], 0
            self._parsing.append((batch, self._pool.submit([raw for _, raw in batch])))
        while len(self._parsing) > self._pool.busy:
            self._collect()

    def _collect(self) -> None:
        batch, future = self._parsing.popleft()
        texts = future.result()
        for (row_id, raw), extracted in zip(batch, texts, strict=True):
            if extracted is None:
                log.warning("the text of a downloaded message (cache row %d) could not be "
                            "extracted; it is kept without search text", row_id)
            self._writes.append((row_id, raw, as_body_text(extracted)))
            self._write_bytes += len(raw)
        if len(self._writes) >= WRITE_BATCH or self._write_bytes >= WRITE_BATCH_BYTES:
            self._write()

    def _write(self) -> None:
        if not self._writes:
            return
        writes, self._writes, self._write_bytes = self._writes, [], 0
        self.store.set_bodies(writes, {row_id: self._uids.pop(row_id) for row_id, _, _ in writes})
        self._in_flight -= {row_id for row_id, _, _ in writes}
        self.written += len(writes)
        if self._progress is not None:
            self._progress(self.written)

    def finish(self) -> None:
        """Everything received so far: extracted and written."""
        self._parse()
        while self._parsing:
            self._collect()
        self._write()
