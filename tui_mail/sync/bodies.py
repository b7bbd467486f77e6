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

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

from tui_mail.errors import CacheError, ConnectError, TuiMailError
from tui_mail.model import RECENT_DAYS, Account, Protocol
from tui_mail.remote.backend import FetchBackend, MessagesGone
from tui_mail.store.db import Store
from tui_mail.sync.proclock import ProcessLock, lock_path

CHUNK = 20  # bodies per FETCH in the background; the download yields between chunks
IDLE_CLOSE = 20 * 60.0  # seconds an unused body connection stays open (servers allow 30 min)
WARM = -1  # the row id of a request that only opens the connection
PREFETCH_LIMIT = 8  # queued prefetches kept; older ones give way to the newest cursor position

log = logging.getLogger(__name__)


class NeedsConfirmation(TuiMailError):
    """The message is larger than the account's `body_ask_above`: the user is asked first."""

    def __init__(self, size: int) -> None:
        super().__init__(f"this message is {size:,} bytes")
        self.size = size


class NoServer(TuiMailError):
    """The body is not cached and the account has no server to fetch it from."""


@dataclass(order=True)
class _Request:
    priority: int  # 0: open, 1: prefetch
    serial: int
    row_id: int = field(compare=False)
    future: Future[bytes] = field(compare=False)


class BodyFetcher:
    """On-demand bodies for one IMAP account, on a thread and connection of their own.

    `connect()` opens a logged-in backend; `store_path` is the cache (the fetcher opens its own
    writer connection in its thread); `on_connection` is told whether the server answered
    (False with the error when the connection failed), so the account's state follows it.
    """

    def __init__(self, account: Account, store_path: Path,
                 connect: Callable[[], FetchBackend],
                 on_connection: Callable[[bool, TuiMailError | None], None]) -> None:
        self.account = account
        self.store_path = store_path
        self._connect = connect
        self._on_connection = on_connection
        self._queue: queue.PriorityQueue[_Request] = queue.PriorityQueue()
        self._serial = 0
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._pending: dict[int, Future[bytes]] = {}

    def fetch(self, row_id: int, *, prefetch: bool = False) -> Future[bytes]:
        """The body of a cached row, fetched ahead of any prefetch. A row already asked for
        shares the first request's future."""
        with self._lock:
            known = self._pending.get(row_id)
            if known is not None and (prefetch or not known.done()):
                if not prefetch:  # an open jumps the queue even if a prefetch asked first
                    self._put(0, row_id, known)
                return known
            future: Future[bytes] = Future()
            self._pending[row_id] = future
            self._put(1 if prefetch else 0, row_id, future)
            self._start()
            return future

    def warm(self) -> None:
        """Open the connection now, so that the first message opened does not wait for the
        TLS handshake and the login."""
        with self._lock:
            self._put(2, WARM, Future())
            self._start()

    def _put(self, priority: int, row_id: int, future: Future[bytes]) -> None:
        self._serial += 1
        self._queue.put(_Request(priority, -self._serial if priority else self._serial,
                                 row_id, future))

    def _start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, daemon=True,
                                            name=f"bodies-{self.account.name}")
            self._thread.start()

    def quiet(self) -> bool:
        """No body asked for is still being fetched."""
        with self._lock:
            return not any(not f.done() for f in self._pending.values())

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _run(self) -> None:
        backend: FetchBackend | None = None
        store: Store | None = None
        try:
            store = Store.open(self.store_path)
            while not self._stop.is_set():
                try:
                    request = self._queue.get(timeout=IDLE_CLOSE if backend else 1.0)
                except queue.Empty:
                    if backend is not None:
                        backend.close()
                        backend = None
                    continue
                if request.future.done():
                    continue
                if request.row_id == WARM:
                    if backend is None:
                        try:
                            backend = self._connect()
                            self._on_connection(True, None)
                        except TuiMailError as exc:
                            self._on_connection(False, exc)
                    request.future.set_result(b"")
                    continue
                if request.priority and self._queue.qsize() > PREFETCH_LIMIT:
                    self._forget(request, None)
                    continue
                try:
                    raw, backend = self._fetch_one(store, backend, request.row_id)
                except TuiMailError as exc:
                    self._forget(request, exc)
                    continue
                except Exception as exc:  # a defect must fail the open, not hang it
                    log.exception("%s: fetching a body failed", self.account.name)
                    self._forget(request, TuiMailError(f"internal error: {exc}"))
                    continue
                with self._lock:
                    self._pending.pop(request.row_id, None)
                if not request.future.done():
                    request.future.set_result(raw)
        except TuiMailError as exc:
            self._fail_all(exc)
        finally:
            if backend is not None:
                backend.close()
            if store is not None:
                store.close()

    def _forget(self, request: _Request, error: TuiMailError | None) -> None:
        with self._lock:
            self._pending.pop(request.row_id, None)
        if not request.future.done():
            if error is None:
                request.future.cancel()
            else:
                request.future.set_exception(error)

    def _fail_all(self, error: TuiMailError) -> None:
        with self._lock:
            pending, self._pending = self._pending, {}
        for future in pending.values():
            if not future.done():
                future.set_exception(error)

    def _fetch_one(self, store: Store, backend: FetchBackend | None,
                   row_id: int) -> tuple[bytes, FetchBackend | None]:
        cached = store.raw_message(row_id)
        if cached is not None:
            return cached, backend
        row = store.message_row(row_id)
        if row is None:
            raise MessagesGone("the message is no longer in the cache")
        if row.uid is None:
            raise MessagesGone(f"the message in {row.folder!r} has no server copy yet: it "
                               "is downloaded once the change that put it there reaches the "
                               "server")
        for attempt in (1, 2):
            try:
                if backend is None:
                    backend = self._connect()
                    self._on_connection(True, None)
                started = time.monotonic()
                for uid, raw in backend.fetch_bodies(row.folder, [row.uid]):
                    if uid == row.uid:
                        try:
                            store.set_body(row_id, raw)
                        except CacheError as exc:  # a full disk: shown all the same
                            log.warning("%s: a fetched body could not be kept: %s",
                                        self.account.name, exc)
                        log.info("%s: fetched a body of %d bytes from %s in %.0f ms",
                                 self.account.name, len(raw), row.folder,
                                 (time.monotonic() - started) * 1000)
                        return raw, backend
                raise MessagesGone(f"the message is no longer in {row.folder!r} on the server")
            except ConnectError as exc:
                if backend is not None:
                    backend.close()
                    backend = None
                if attempt == 2:  # a kept connection may have gone stale: one fresh try
                    self._on_connection(False, exc)
                    raise
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
                    progress: Callable[[int, int], None] = lambda done, total: None,
                    clock: Callable[[], float] = time.time) -> DownloadResult:
    """Fetch what the account's policy wants, newest first, a chunk at a time. Returns early
    when `should_yield()` says other work waits, or when another program downloads this
    account's bodies (after waiting up to `wait_for_lock` seconds for it). `everything`
    ignores the account's policy (`tui-mail sync --bodies`: all under the cap), `folders`
    keeps to those folders. Raises the backend's errors (ConnectError when the connection is
    lost)."""
    result = DownloadResult()
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
        total = len(store.bodies_wanted(account.name, account.body_size_cap, since=since,
                                        folders=folders, limit=1_000_000))
        gone: set[tuple[str, int]] = set()  # not on the server any more (the next sync knows)
        while True:
            wanted = [w for w in store.bodies_wanted(
                account.name, account.body_size_cap, since=since, folders=folders,
                limit=CHUNK * 5 + len(gone)) if w not in gone]
            if not wanted:
                return result
            if should_yield():
                result.finished = False
                return result
            folder = wanted[0][0]
            uids = [uid for name, uid in wanted if name == folder][:CHUNK]
            ids = store.ids_for_uids(account.name, folder, uids)
            fetched: set[int] = set()
            for uid, raw in backend().fetch_bodies(folder, uids):
                row = ids.get(uid)
                if row is not None:
                    store.set_body(row, raw)
                    fetched.add(uid)
            gone.update((folder, uid) for uid in uids if uid not in fetched)
            result.bodies += len(fetched)
            progress(result.bodies, total)
    finally:
        lock.release()
