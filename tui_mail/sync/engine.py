"""The sync engine: backend -> store, one code path for IMAP and POP3.

Blocking code meant for a worker thread (never the UI thread). It talks to the server through a
`FetchBackend` made by `connect()` and writes what it learns through the store in short
transactions (one per batch), so a kill at any instant leaves a consistent cache and the next
run resumes: the folder's saved state only advances once a folder is fully applied, and new
messages are found as "on the server, not in the cache", never by counting.

The headers and flags only: bodies are `sync.bodies`' work (on open, and in the background).
The app runs it through `sync.service` (a thread per account); `tui-mail sync` through
`sync.account_sync`.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

from tui_mail.errors import (
    ConnectError,
    ProtocolViolation,
    ServerRefused,
    ServerTimeout,
    TuiMailError,
)
from tui_mail.model import Account, Flags, FolderSyncState, Protocol, path_in_namespace
from tui_mail.remote.backend import FetchBackend, RemoteFolder, abort_backend
from tui_mail.remote.connection import Credentials
from tui_mail.store.db import Store
from tui_mail.store.types import FolderListChanges
from tui_mail.sync.arrivals import Arrivals
from tui_mail.sync.events import (
    EventSink,
    FolderChanged,
    Notice,
    SyncError,
    SyncProgress,
    ignore,
)
from tui_mail.sync.storeio import StoreIO
from tui_mail.words import plural

HEADER_BATCH = 1000
T = TypeVar("T")


@dataclass
class SyncResult:
    """What one `sync()` did; `errors` hold user-facing texts (empty when all went well)."""

    folders: int = 0
    new: int = 0
    flag_changes: int = 0
    vanished: int = 0
    resets: int = 0
    bodies: int = 0  # new messages fetched whole (`whole_cap`): their bodies came with them
    errors: list[str] = field(default_factory=list)
    # What ended the run before every folder was done: the connection was lost, the login
    # refused, the cache could not be written. None when each folder got its turn.
    stopped_by: TuiMailError | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


class SyncEngine:
    """Synchronise one account's folders into the cache.

    `connect` opens a logged-in backend; it is called again (with backoff) when the connection
    drops. `retries` bounds how often one folder is retried after a dropped connection.
    """

    def __init__(
        self,
        account: Account,
        store: Store,
        connect: Callable[[], FetchBackend],
        on_event: EventSink = ignore,
        *,
        retries: int = 4,
        backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.account = account
        self.io = StoreIO(store, account.name)
        self._connect = connect
        self._emit = on_event
        self._retries = retries
        self._backoff = backoff
        self._sleep = sleep
        self._backend: FetchBackend | None = None
        self._noted: FetchBackend | None = None  # the connection whose server kind is recorded
        self.header_batch = HEADER_BATCH
        # Set by `sync --bodies` (the account's body size cap): a folder with many new
        # messages gets them whole in one pass (`whole_fetch`), not headers then bodies.
        self.whole_cap: int | None = None
        self._aborted = False  # stopping: see abort()

    # -- connection -------------------------------------------------------------------------

    @property
    def backend(self) -> FetchBackend:
        if self._backend is None:
            if self._aborted:
                raise ConnectError("the sync was stopped")
            self._backend = self._connect()
        return self._backend

    def _drop(self) -> None:
        if self._backend is not None:
            self._backend.close()
            self._backend = None

    def close(self) -> None:
        self._drop()

    def abort(self) -> None:
        """From another thread (stopping): shut the connection down, so that a command
        blocked on a stalled server fails at once instead of holding its thread, and connect
        no more (the retry of the command that failed would open a new connection)."""
        self._aborted = True
        abort_backend(self._backend)

    def _with_retry(self, what: Callable[[], T]) -> T:
        """Run `what`, reconnecting with exponential backoff on a dropped connection. A
        server that stalled (ServerTimeout) or broke the protocol (ProtocolViolation) is not
        tried again in this run: each try would cost the same again (a full timeout per
        folder); the caller ends the run and the next one (the watcher's backoff) tries."""
        delay = self._backoff
        for attempt in range(self._retries + 1):
            try:
                return what()
            except ConnectError as exc:
                self._drop()
                if attempt == self._retries or self._aborted or \
                        isinstance(exc, ServerTimeout | ProtocolViolation):
                    raise
                self._sleep(delay)
                delay = min(delay * 2, 30.0)
        raise AssertionError("unreachable")

    # -- public API -------------------------------------------------------------------------

    def list_folders(self) -> list[RemoteFolder]:
        """Make the cached folder list the server's (roles from the config, SPECIAL-USE or
        names; folders gone from the server leave the cache, renamed ones keep their mail)."""
        known_ids = self.io.mailbox_ids()
        folders = self._with_retry(lambda: self.backend.list_folders(known_ids))
        self._note_server()
        namespaces = getattr(self.backend, "namespaces", None)
        changes = self.io.apply_folder_list(folders, namespaces, self.account.folders,
                                            self._subscriptions())
        self._tell_folder_changes(changes, namespaces.own.prefix if namespaces else "")
        return folders

    def _note_server(self) -> None:
        """Record in the cache, once per connection, whether the server is Gmail (it announced
        X-GM-EXT-1): archive, delete and search read it there."""
        backend = self.backend
        if backend is not self._noted:
            self.io.set_gmail(bool(getattr(backend, "gmail", False)))
            self._noted = backend

    def _subscriptions(self) -> set[str] | None:
        """The folders the user is subscribed to (LSUB); None when the server cannot say."""
        if not hasattr(self.backend, "subscribed_folders"):
            return None
        try:
            return self._with_retry(lambda: self.backend.subscribed_folders())  # type: ignore[attr-defined]
        except ServerRefused:
            return None

    def _tell_folder_changes(self, changes: FolderListChanges, prefix: str) -> None:
        """A notice per folder that went or was renamed on the server, named as the tree shows
        it (inside the namespace: "Work", not "INBOX.Work"); a FolderChanged for each change."""
        if not changes:
            return
        account = self.account.name

        def shown(name: str) -> str:
            return path_in_namespace(name, prefix)

        for old, new in changes.renamed:
            self._emit(Notice(account, f"the folder {shown(old)!r} was renamed to "
                                       f"{shown(new)!r} on the server; its mail moved with it"))
            self._emit(FolderChanged(account, new))
        new_names = ", ".join(repr(shown(name)) for name in changes.added)
        for name, count in changes.removed:
            verb = "is" if count == 1 else "are"
            held = f"; its {plural(count)} {verb} no longer kept here" if count else ""
            hint = f" (new on the server: {new_names})" if new_names else ""
            self._emit(Notice(account, f"the folder {shown(name)!r} is gone from the server "
                                       f"(deleted or renamed there){held}{hint}"))
            self._emit(FolderChanged(account, name))
        for name in [*changes.added, *changes.updated]:
            self._emit(FolderChanged(account, name))
        if changes.held:
            self._emit(Notice(account, f"the server left {len(changes.held)} folders out of its "
                                       "list; they are kept until the next sync shows whether "
                                       "they are really gone", "warning"))


    def sync(self, folders: Sequence[str] | None = None) -> SyncResult:
        """Sync the named folders (default: every selectable folder). Never raises a
        TuiMailError: failures are in the result and reported as SyncError events."""
        result = SyncResult()
        try:
            if folders is None:
                listed = self.list_folders()
                names = self.io.folders_to_sync(listed, self.account.only_subscribed)
            else:
                names = list(folders)
                for name in names:
                    self.io.ensure_known(name)
        except TuiMailError as exc:
            self._fail(result, str(exc))
            result.stopped_by = exc
            return result
        for name in names:
            try:
                self._with_retry(partial(self._sync_folder, name, result))
                result.folders += 1
            except ServerRefused as exc:  # this folder only: the others may well work
                self._fail(result, str(exc), name)
            except TuiMailError as exc:  # the connection, the login or the cache: stop here
                self._fail(result, str(exc), name)
                result.stopped_by = exc
                return result
        return result

    def sync_folder(self, folder: str) -> SyncResult:
        return self.sync([folder])

    # -- one folder -------------------------------------------------------------------------

    def _fail(self, result: SyncResult, message: str, folder: str = "") -> None:
        result.errors.append(message)
        self._emit(SyncError(self.account.name, message, folder))

    def _sync_folder(self, folder: str, result: SyncResult) -> None:
        self._note_server()
        state = self.io.sync_state(folder)
        known = CachedUids(self.io, folder)
        changes = self.backend.changes_since(folder, state, known)
        touched = False
        if changes.reset:
            self.io.reset_folder(folder)
            known = CachedUids(self.io, folder)
            result.resets += 1
            touched = True
        if changes.reset or not state.uidvalidity:
            # Remember the UIDVALIDITY now (not the UIDNEXT/MODSEQ): a run killed during the
            # first fetch resumes against the same UIDs instead of resetting again.
            self.io.set_sync_state(
                folder, FolderSyncState(changes.state.uidvalidity, 0, 0)
            )
        if changes.vanished:
            self.io.remove_uids(folder, changes.vanished)
            result.vanished += len(changes.vanished)
            touched = True
        cached_flags = known.flags_of(changes.flags)
        changed = {
            uid: flags
            for uid, flags in changes.flags.items()
            if uid in cached_flags and cached_flags[uid] != flags
        }
        if changed:
            self.io.update_flags(folder, changed)
            result.flag_changes += len(changed)
            touched = True
        if touched:
            self._emit(FolderChanged(self.account.name, folder))
        arrivals = Arrivals.watch(self.account, self.io.store, folder,
                                  synced_before=bool(state.uidnext) and not changes.reset,
                                  since_uid=state.uidnext)
        new = sorted(set(changes.new_uids) - known.subset(changes.new_uids), reverse=True)
        if self._whole_route(new):
            new = self._fetch_whole(folder, new, result)
        done = 0
        for batch in prefetched(self.backend.fetch_summaries(folder, new, self.header_batch)):
            if arrivals is not None:
                arrivals.note(self.io.store, batch)
            self.io.add_summaries(folder, batch)
            done += len(batch)
            result.new += len(batch)
            self._emit(SyncProgress(self.account.name, folder, done, len(new), "headers"))
            self._emit(FolderChanged(self.account.name, folder))
        if changes.state != state:  # a sync that finds nothing writes nothing
            self.io.set_sync_state(folder, changes.state)
        arrived = arrivals.event() if arrivals is not None else None
        if arrived is not None:
            self._emit(arrived)

    def _whole_route(self, new: Sequence[int]) -> bool:
        """Fetch these new messages whole? Only when bodies are wanted (`whole_cap`), for
        many messages, from an IMAP server other than Gmail (whose summaries carry
        X-GM-MSGID; the header pass asks for it)."""
        if self.whole_cap is None or not new:
            return False
        from tui_mail.sync.whole_fetch import WHOLE_FROM

        backend = self.backend
        return (len(new) >= WHOLE_FROM and hasattr(backend, "fetch_whole")
                and not getattr(backend, "gmail", False))

    def _fetch_whole(self, folder: str, new: list[int], result: SyncResult) -> list[int]:
        """The new messages within the body size cap fetched whole and written with their
        bodies; returns the others (newest first), left to the header pass."""
        from tui_mail.sync.body_pool import TextPool, pool_workers
        from tui_mail.sync.whole_fetch import WholeFetch

        backend = self.backend
        assert self.whole_cap is not None
        over = set(backend.uids_larger(folder, self.whole_cap))  # type: ignore[attr-defined]
        whole = [uid for uid in new if uid not in over]
        account = self.account.name
        counted = 0

        def written(done: int) -> None:
            nonlocal counted
            result.new += done - counted
            result.bodies += done - counted
            counted = done
            self._emit(SyncProgress(account, folder, done, len(whole), "messages"))
            self._emit(FolderChanged(account, folder))

        if whole:
            news: dict[int, Flags] = {}
            try:
                with TextPool(pool_workers()) as pool:
                    fetch = WholeFetch(self.io.store, account, folder, pool, written)
                    news = fetch.flag_news
                    fetch.run(backend, whole)
            finally:  # a run cut off applies what it was told too, to the rows it wrote
                self._apply_flag_news(folder, news, result)
        return [uid for uid in new if uid in over]

    def _apply_flag_news(self, folder: str, news: dict[int, Flags], result: SyncResult) -> None:
        """Flag changes the server told in the middle of a whole fetch, for messages now
        cached (fetched before the change was told, or cached before the run)."""
        if not news:
            return
        cached = self.io.flags_for_uids(folder, list(news))
        changed = {uid: flags for uid, flags in news.items()
                   if uid in cached and cached[uid] != flags}
        if changed:
            self.io.update_flags(folder, changed)
            result.flag_changes += len(changed)
            self._emit(FolderChanged(self.account.name, folder))


class CachedUids:
    """The UIDs the cache holds for a folder (the backend's `KnownUids`), read lazily: a
    QRESYNC check with no news looks up only what the server names, never the whole folder."""

    def __init__(self, io: StoreIO, folder: str) -> None:
        self._io = io
        self._folder = folder
        self._all: dict[int, Flags] | None = None

    def __bool__(self) -> bool:
        return bool(self._all) if self._all is not None else self._io.has_uids(self._folder)

    def all(self) -> set[int]:
        if self._all is None:
            self._all = self._io.uid_flags(self._folder)
        return set(self._all)

    def flags_of(self, uids: Iterable[int]) -> dict[int, Flags]:
        wanted = list(uids)
        if self._all is not None:
            return {uid: self._all[uid] for uid in wanted if uid in self._all}
        return self._io.flags_for_uids(self._folder, wanted) if wanted else {}

    def subset(self, uids: Iterable[int]) -> set[int]:
        return set(self.flags_of(uids))


def prefetched(source: Iterator[T], depth: int = 2) -> Iterator[T]:
    """Run `source` in a helper thread, `depth` items ahead, so that the network fetch and
    response parsing of the next batch overlap with writing this one into the cache.

    The backend is used by the helper thread only while this generator is being consumed, and
    the consumer waits for the helper to finish (or stop) before returning, so the connection
    is never used by two threads at once.
    """
    items: queue.Queue[tuple[str, object]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def pump() -> None:
        try:
            for item in source:
                while not stop.is_set():
                    try:
                        items.put(("item", item), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            items.put(("end", None))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer and re-raised there
            items.put(("error", exc))

    worker = threading.Thread(target=pump, name="sync-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            kind, value = items.get()
            if kind == "end":
                return
            if kind == "error":
                raise value  # type: ignore[misc]
            yield value  # type: ignore[misc]
    finally:
        stop.set()
        while worker.is_alive():
            with contextlib.suppress(queue.Empty):
                items.get(timeout=0.1)
        worker.join()


def connector(account: Account, credentials: Callable[[], Credentials]) -> Callable[[], FetchBackend]:
    """A `connect()` for the account's IMAP server. Credentials are asked for on each connect,
    so a token command runs again after a reconnect. POP3 accounts use `sync.pop3_sync`."""
    server = account.incoming
    if server.protocol is Protocol.POP3:
        raise ValueError(f"account {account.name!r} is POP3: use tui_mail.sync.pop3_sync")

    def connect() -> FetchBackend:
        from tui_mail.remote.imap import ImapBackend
        from tui_mail.remote.wire import account_literal_limit

        return ImapBackend.open(server, credentials(), max_literal=account_literal_limit(account))

    return connect

