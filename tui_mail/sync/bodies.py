"""Message bodies: fetched at once when a message is opened, and downloaded in the background.

On demand (`BodyFetcher`): opening or previewing a message whose body is not cached fetches it
on a connection of its own, so it never waits behind a sync or a background download. The
fetcher keeps that connection for a while (reading mail is a run of opens) and closes it
when idle. It also prefetches the messages next to the cursor, after any open.

In the background (`download_bodies`): after a sync, the bodies the account's policy wants
(`Account.download_bodies`: all, recent, or only on open; each at most `body_size_cap`) are
fetched newest first, so that mail can be read offline without any command. Two programs on
one cache (the TUI and `tui-mail sync --bodies`) never download the same bodies: the work is
under the account's "bodies" process lock, and what is wanted is re-read from the cache
after every chunk.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from tui_mail.errors import CacheError, ConnectError, TuiMailError
from tui_mail.model import RECENT_DAYS, Account, Protocol
from tui_mail.remote.backend import FetchBackend, MessagesGone, abort_backend
from tui_mail.store.db import Store
from tui_mail.sync.proclock import ProcessLock, lock_path

POOL_FROM = 200  # bodies wanted from which their text is extracted in worker processes
IDLE_CLOSE = 20 * 60.0  # seconds an unused body connection stays open (servers allow 30 min)
WARM = -1  # what `_next` gives for "only open the connection"
PREFETCH_LIMIT = 8  # queued prefetches kept; older ones give way to the newest cursor position

log = logging.getLogger(__name__)


class NeedsConfirmation(TuiMailError):
    """The message is larger than the account's `body_ask_above`: the user is asked first."""

    def __init__(self, size: int) -> None:
        super().__init__(f"this message is {size:,} bytes")
        self.size = size


class NoServer(TuiMailError):
    """The body is not cached and the account has no server to fetch it from."""


class BodyFetcher:
    """On-demand bodies for one IMAP account, on a thread and connection of their own.

    Opens come first, in the order asked; prefetches after them, the newest first (the rows
    next to where the cursor is now), at most PREFETCH_LIMIT waiting: older ones give way.
    `connect()` opens a logged-in backend; `store_path` is the cache (the fetcher opens its own
    writer connection in its thread); `on_connection` is told whether the server answered
    (False with the error when the connection failed), so the account's state follows it.
    Every future handed out is resolved: with the bytes, an error, or (a prefetch given way,
    the fetcher stopped) cancelled.
    """

    def __init__(self, account: Account, store_path: Path,
                 connect: Callable[[], FetchBackend],
                 on_connection: Callable[[bool, TuiMailError | None], None]) -> None:
        self.account = account
        self.store_path = store_path
        self._connect = connect
        self._on_connection = on_connection
        self._cond = threading.Condition()
        self._opens: collections.deque[int] = collections.deque()
        self._prefetches: collections.deque[int] = collections.deque()
        self._futures: dict[int, Future[bytes]] = {}
        self._opened: set[int] = set()  # rows an open waits for (never given way)
        self._warm = False
        self._thread: threading.Thread | None = None
        self._stopped = False
        self._backend: FetchBackend | None = None  # the fetcher thread's only

    def fetch(self, row_id: int, *, prefetch: bool = False) -> Future[bytes]:
        """The body of a cached row. A row already asked for shares the first request's
        future; an open of a row waiting as a prefetch moves it ahead of the prefetches."""
        with self._cond:
            future = self._futures.get(row_id)
            if future is None:
                future = Future()
                if self._stopped:
                    future.set_exception(TuiMailError("tui-mail is closing"))
                    return future
                self._futures[row_id] = future
            if prefetch:
                if row_id not in self._opened and row_id not in self._prefetches:
                    self._prefetches.append(row_id)
                    while len(self._prefetches) > PREFETCH_LIMIT:
                        self._give_way(self._prefetches.popleft())
            elif row_id not in self._opened:
                self._opened.add(row_id)
                self._opens.append(row_id)
                if row_id in self._prefetches:
                    self._prefetches.remove(row_id)
            self._cond.notify_all()
            self._start()
            return future

    def _give_way(self, row_id: int) -> None:
        """A prefetch dropped for newer ones (under the lock)."""
        if row_id not in self._opened:
            future = self._futures.pop(row_id, None)
            if future is not None:
                future.cancel()

    def warm(self) -> None:
        """Open the connection now, so that the first message opened does not wait for the
        TLS handshake and the login."""
        with self._cond:
            self._warm = True
            self._cond.notify_all()
            self._start()

    def _start(self) -> None:
        if not self._stopped and (self._thread is None or not self._thread.is_alive()):
            self._thread = threading.Thread(target=self._run, daemon=True,
                                            name=f"bodies-{self.account.name}")
            self._thread.start()

    def quiet(self) -> bool:
        """No body asked for is still being fetched."""
        with self._cond:
            return not self._futures

    def stop(self, timeout: float = 2.0) -> None:
        """End the thread; whoever waits on a body is told at once (a viewer waiting for ever
        would keep the program from exiting)."""
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        self._fail_all(TuiMailError("tui-mail is closing"))
        abort_backend(self._backend)  # a fetch stuck on a stalled server ends now
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _next(self) -> int | None:
        """The next row to fetch (WARM to connect), or None to end (under no lock)."""
        with self._cond:
            while not self._stopped:
                if self._opens:
                    return self._opens.popleft()
                if self._prefetches:
                    return self._prefetches.pop()  # the newest
                if self._warm:
                    self._warm = False
                    return WARM
                if not self._cond.wait(IDLE_CLOSE if self._backend is not None else None):
                    self._drop_connection()  # unused for a long while
            return None

    def _run(self) -> None:
        store: Store | None = None
        try:
            store = Store.open(self.store_path)
            while (row_id := self._next()) is not None:
                if row_id == WARM:
                    self._connected()
                    continue
                try:
                    self._fetch_one(store, row_id)
                except TuiMailError as exc:
                    self._resolve(row_id, error=exc)
                except Exception as exc:  # a defect must fail the open, not hang it
                    log.exception("%s: fetching a body failed", self.account.name)
                    self._resolve(row_id, error=TuiMailError(f"internal error: {exc}"))
        except TuiMailError as exc:
            self._fail_all(exc)
        finally:
            self._drop_connection()
            if store is not None:
                store.close()
            self._fail_all(TuiMailError("the body connection was closed"))

    def _resolve(self, row_id: int, raw: bytes | None = None,
                 error: BaseException | None = None) -> None:
        with self._cond:
            future = self._futures.pop(row_id, None)
            self._opened.discard(row_id)
        if future is None or future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(raw or b"")

    def _fail_all(self, error: TuiMailError) -> None:
        with self._cond:
            futures, self._futures = self._futures, {}
            self._opens.clear()
            self._prefetches.clear()
            self._opened.clear()
        for future in futures.values():
            if not future.done():
                future.set_exception(error)

    def _connected(self) -> None:
        """Open the connection if it is not (WARM: a failure is only reported)."""
        if self._backend is None:
            try:
                self._backend = self._connect()
            except TuiMailError as exc:
                self._on_connection(False, exc)
                return
            self._on_connection(True, None)

    def _drop_connection(self) -> None:
        backend, self._backend = self._backend, None
        if backend is not None:
            backend.close()

    def _fetch_one(self, store: Store, row_id: int) -> None:
        """Fetch, hand the bytes to whoever waits, then keep them in the cache (the viewer
        need not wait for the search text to be extracted and written)."""
        cached = store.raw_message(row_id)
        if cached is not None:
            self._resolve(row_id, raw=cached)
            return
        row = store.message_row(row_id)
        if row is None:
            raise MessagesGone("the message is no longer in the cache")
        if row.uid is None:
            raise MessagesGone(f"the message in {row.folder!r} has no server copy yet: it "
                               "is downloaded once the change that put it there reaches the "
                               "server")
        for attempt in (1, 2):
            if self._backend is None:
                try:
                    self._backend = self._connect()
                except TuiMailError as exc:  # gone, or a refused login: the account says it
                    self._on_connection(False, exc)
                    raise
                self._on_connection(True, None)
            try:
                started = time.monotonic()
                fetched = self._backend.fetch_bodies(row.folder, [row.uid],
                                                     agreed_size=row.size)
                raw = next((got for uid, got in fetched if uid == row.uid), None)
            except ConnectError as exc:
                self._drop_connection()
                if attempt == 2:  # a kept connection may have gone stale: one fresh try
                    self._on_connection(False, exc)
                    raise
                continue
            if raw is None:
                raise MessagesGone(f"the message is no longer in {row.folder!r} on the server")
            log.info("%s: fetched a body of %d bytes from %s in %.0f ms", self.account.name,
                     len(raw), row.folder, (time.monotonic() - started) * 1000)
            self._resolve(row_id, raw=raw)
            try:
                store.set_body(row_id, raw)
            except CacheError as exc:  # a full disk: shown all the same
                log.warning("%s: a fetched body could not be kept: %s", self.account.name, exc)
            return
        raise AssertionError("unreachable")


@dataclass
class DownloadResult:
    bodies: int = 0
    finished: bool = True  # False: stopped early (yielded to other work, or the lock is taken)
    busy: bool = False  # another program holds the account's body download


def wanted_since(account: Account, now: float) -> int | None:
    """The oldest date (unix seconds) the background download wants; None for all."""
    if account.download_bodies == "recent":
        return int(now - RECENT_DAYS * 86400)
    return None


def download_bodies(store: Store, account: Account, backend: Callable[[], FetchBackend],
                    data_dir: Path, *, should_yield: Callable[[], bool] = lambda: False,
                    wait_for_lock: float = 0.0, folders: Sequence[str] | None = None,
                    everything: bool = False,
                    progress: Callable[[int, int], None] | None = None,
                    clock: Callable[[], float] = time.time,
                    result: DownloadResult | None = None) -> DownloadResult:
    """Fetch what the account's policy wants, newest first, a FETCH of many bodies at a time
    (`body_download.BulkDownload`: streamed, their text extracted by worker processes when
    there are many, written hundreds per transaction). Returns early when `should_yield()`
    says other work waits, or when another program downloads this account's bodies (after
    waiting up to `wait_for_lock` seconds for it). `everything` ignores the account's policy
    (`tui-mail sync --bodies`: all under the cap), `folders` keeps to those folders. Raises
    the backend's errors (ConnectError when the connection is lost), after writing the bodies
    received until then: their count is in `result` when the caller gives one."""
    from tui_mail.sync.body_download import BulkDownload, Wanted
    from tui_mail.sync.body_pool import TextPool, pool_workers

    result = result if result is not None else DownloadResult()
    if account.incoming.protocol is not Protocol.IMAP or (
            account.download_bodies == "on-open" and not everything):
        return result
    lock = ProcessLock(lock_path(data_dir, "bodies", account.name))
    if not lock.acquire(wait=wait_for_lock):
        log.info("%s: another tui-mail is downloading bodies; leaving it to that one",
                 account.name)
        return DownloadResult(finished=False, busy=True)
    try:
        since = None if everything else wanted_since(account, clock())

        def wanted(below: int | None, limit: int) -> list[Wanted]:
            return store.bodies_wanted(account.name, account.body_size_cap, since=since,
                                       folders=folders, below=below, limit=limit)

        many = len(wanted(None, POOL_FROM)) >= POOL_FROM
        if not many and not wanted(None, 1):
            return result
        total = _count(wanted) if progress is not None else 0
        report = None if progress is None else (lambda done: progress(done, total))
        with TextPool(pool_workers() if many else 0) as pool:
            run = BulkDownload(store, wanted, pool, should_yield=should_yield, progress=report)
            try:
                run.run(backend())
            finally:
                result.bodies = run.written
        result.finished = run.finished
        return result
    finally:
        lock.release()




def _count(wanted: Callable[[int | None, int], list[tuple[int, str, int, int]]]) -> int:
    """How many bodies are wanted, read a page at a time (a million rows never in memory)."""
    total, below = 0, None
    while rows := wanted(below, 10_000):
        total += len(rows)
        below = rows[-1][0]
    return total
