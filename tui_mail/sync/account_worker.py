"""All the network work of one account, in one thread, in order of what the user waits for.

`AccountWorker` owns the account's sync connection and runs its jobs one at a time, most
urgent first: the replay of queued actions, the outbox, a sync of the folders IDLE named, a
sync of every folder, drafts to the server, then the background body download (which yields
to any other job between chunks). Opening a message does not wait for any of this: bodies
asked for by the interface go through the account's `BodyFetcher`, on its own connection.

Connection state lives here, one per account. When the server stops answering (a job's
connection fails, or the IDLE connection drops) the account is reported offline at once and
retried with a backoff (first within seconds, then at most every minute) until it answers;
then the queued actions are replayed, the outbox is sent, every folder is synced and IDLE is
started again, without a key press.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tui_mail.errors import AuthError, ConnectError, SecretError, TLSError, TuiMailError
from tui_mail.model import Account, Protocol, path_in_namespace
from tui_mail.store.db import Store
from tui_mail.sync.credentials import provider
from tui_mail.sync.events import (
    ConnectionState,
    ErrorKind,
    EventSink,
    FolderChanged,
    Notice,
    SyncError,
    SyncProgress,
)
from tui_mail.sync.proclock import ProcessLock, lock_path
from tui_mail.sync.retry import CONNECTION_RETRY

if TYPE_CHECKING:
    from tui_mail.sync.engine import SyncEngine
    from tui_mail.sync.watcher import Watcher

log = logging.getLogger(__name__)



class Job(enum.IntEnum):
    """Jobs in the order they run when several are due (lowest first). Sending is not one:
    it has a thread of its own (`sync.send_lane`)."""

    REPLAY = 0
    SYNC_FOLDERS = 2
    SYNC_ALL = 3
    DRAFTS = 4
    BODIES = 5



@dataclass
class WorkerSettings:
    sync_every: float = 300.0  # seconds between syncs of every folder; 0: none
    idle: bool = True
    retry_delays: tuple[float, ...] = CONNECTION_RETRY


@dataclass
class DraftJob:
    kind: str  # "save" or "discard"
    key: str
    raw: bytes = b""


@dataclass
class WorkerHost:
    """What a worker needs from the service that runs it."""

    store_path: Path
    emit: EventSink
    replay_lock: threading.Lock
    replay_held: Callable[[], float]  # seconds the newest actions still wait (their undo moment)
    deliver_soon: Callable[[], None]  # the account's outbox: try what waits (a server is back)


def error_kind(error: TuiMailError) -> ErrorKind:
    """SIGN_IN for an OAuth2 sign-in the provider no longer accepts (or that was never done):
    only the user can end that, by signing in again; OTHER for everything else."""
    from tui_mail.oauth2.tokens import SignInRequired

    return ErrorKind.SIGN_IN if isinstance(error, SignInRequired) else ErrorKind.OTHER


def temporary(error: TuiMailError) -> bool:
    """Worth retrying soon: the connection, or a login the server could not check right now
    (Dovecot says [UNAVAILABLE] while its auth process restarts). A wrong password, an
    untrusted certificate, a missing secret or a sign-in to renew wait for the user (or the
    periodic sync)."""
    if isinstance(error, ConnectError):
        return True
    if error_kind(error) is ErrorKind.SIGN_IN:
        return False  # its words ("sign in again") are no server's "try again"
    if isinstance(error, AuthError):
        return error.temporary
    return False


class AccountWorker:
    """The account's thread: jobs, connection state, retries and the IDLE watcher."""

    def __init__(self, account: Account, host: WorkerHost, settings: WorkerSettings) -> None:
        self.account = account
        self.host = host
        self.settings = settings
        self._cond = threading.Condition()
        self._due: dict[Job, float] = {}
        self._folders: set[str] = set()  # what SYNC_FOLDERS syncs
        self._stop = False
        self._thread: threading.Thread | None = None
        self._engine: SyncEngine | None = None
        self._store: Store | None = None
        self.online: bool | None = None  # None: not tried yet
        self.error = ""  # why it is offline
        self.sync_error = ""  # what the last sync could not do, though online
        self._failures = 0
        self._retry_at: float | None = None
        self._watcher: Watcher | None = None
        self._busy: Job | None = None
        self._draft_jobs: list[DraftJob] = []
        self._engine_stale = False
        # "Syncing" was said since the account was said offline: a failure already known
        # says offline again, or the status line would stay on "syncing".
        self._syncing_said = False

    @property
    def imap(self) -> bool:
        return self.account.incoming.protocol is Protocol.IMAP

    # ---- asking for work (any thread) ----------------------------------------------------

    def request(self, job: Job, delay: float = 0.0, folders: tuple[str, ...] = ()) -> None:
        """Run `job` after `delay` seconds (sooner if it was already due sooner; REPLAY is
        moved to the new time, which is how each action restarts the undo moment)."""
        if not self.imap and job in (Job.REPLAY, Job.SYNC_FOLDERS, Job.DRAFTS, Job.BODIES):
            if job is Job.SYNC_FOLDERS:
                job = Job.SYNC_ALL  # POP3 has one folder: a sync is a sync of everything
            else:
                return
        at = time.monotonic() + delay
        with self._cond:
            if job is Job.SYNC_FOLDERS:
                self._folders.update(folders)
            if job is Job.REPLAY or job not in self._due or at < self._due[job]:
                self._due[job] = at
            self._cond.notify_all()
        self._ensure_thread()

    def draft(self, job: DraftJob) -> None:
        """Save or discard a draft on the server (after other work). Only the newest wish for
        one draft is kept: its latest bytes, or its discard."""
        with self._cond:
            self._draft_jobs = [j for j in self._draft_jobs if j.key != job.key] + [job]
        self.request(Job.DRAFTS)

    def forget_draft_jobs(self, key: str) -> None:
        """The draft was sent: nothing of it is to reach the Drafts folder any more."""
        with self._cond:
            self._draft_jobs = [j for j in self._draft_jobs if j.key != key]

    def retry_now(self) -> None:
        """The user asked (`$`): forget the backoff and try the server at once."""
        with self._cond:
            self._retry_at = None
            self._failures = 0
            self._cond.notify_all()
        self.request(Job.SYNC_ALL)

    def quiet(self) -> bool:
        """Nothing running and nothing due now (later work, like the next periodic sync or
        the end of an undo moment, does not count)."""
        now = time.monotonic()
        with self._cond:
            if self._busy is not None:
                return False
            if self._retry_at is not None and now < self._retry_at:
                return True  # offline, waiting for the next try
            return not any(at <= now for at in self._due.values())

    def _ensure_thread(self) -> None:
        with self._cond:
            if self._stop or (self._thread is not None and self._thread.is_alive()):
                return
            self._thread = threading.Thread(target=self._run, daemon=True,
                                            name=f"account-{self.account.name}")
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        watcher = self._watcher
        if watcher is not None:
            watcher.stop(timeout=0)
        engine = self._engine
        if engine is not None:
            engine.abort()  # a command stuck on a stalled server ends now
        if self._thread is not None:
            self._thread.join(timeout)

    # ---- the thread ------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._store = Store.open(self.host.store_path)
        except TuiMailError as exc:
            self.host.emit(Notice(self.account.name, str(exc), "error"))
            with self._cond:
                self._thread = None
            return
        try:
            while True:
                job = self._next_job()
                if job is None:
                    return
                self._run_job(job)
        finally:
            self._close_engine()
            self._store.close()
            self._store = None

    def _next_job(self) -> Job | None:
        with self._cond:
            while not self._stop:
                now = time.monotonic()
                if self._retry_at is not None and now < self._retry_at:
                    self._cond.wait(self._retry_at - now)
                    continue
                due = [job for job, at in self._due.items() if at <= now]
                if due:
                    job = min(due)
                    del self._due[job]
                    if job is Job.SYNC_ALL:
                        self._due.pop(Job.SYNC_FOLDERS, None)  # everything includes them
                    self._busy = job
                    return job
                wait = min(self._due.values()) - now if self._due else None
                self._cond.wait(wait)
            return None

    def _run_job(self, job: Job) -> None:
        if self._engine_stale:
            self._engine_stale = False
            self._close_engine()
        try:
            if job is Job.REPLAY:
                self._replay()
            elif job in (Job.SYNC_ALL, Job.SYNC_FOLDERS):
                self._sync(job)
            elif job is Job.DRAFTS:
                self._drafts()
            elif job is Job.BODIES:
                self._bodies()
        except TuiMailError as exc:
            self._failed(job, exc)
        except Exception as exc:  # a defect: say so and keep the worker (and the app) alive
            log.exception("%s: %s stopped by an internal error", self.account.name, job.name)
            self.sync_error = (f"{job.name.lower().replace('_', ' ')} stopped by an internal "
                               f"error: {type(exc).__name__}: {exc}")
            self.host.emit(ConnectionState(self.account.name, self.online is True,
                                           self.sync_error))
        finally:
            with self._cond:
                self._busy = None

    # ---- connection state -----------------------------------------------------------------

    def connection_ok(self) -> None:
        """A connection of this account (sync, bodies or IDLE) reached the server."""
        with self._cond:
            before = self.online
            if before is not True:
                self.online = True
                self.error = ""
                self._failures = 0
                self._retry_at = None
                self._cond.notify_all()
        if before is not True:
            self.host.emit(ConnectionState(self.account.name, True, self.sync_error))
        if before is False:
            log.info("%s: the server answers again", self.account.name)
            # What waited for the server: the queue, the outbox, the news, and push.
            self.request(Job.REPLAY)
            self.host.deliver_soon()
            if self._busy is not Job.SYNC_ALL:  # that one is bringing the news already
                self.request(Job.SYNC_ALL)
        self._start_watcher()

    def connection_lost(self, error: TuiMailError, job: Job | None = None) -> None:
        """A connection failed: offline now; retried with backoff when the failure is one
        that can pass (the job that failed runs again then)."""
        retry = temporary(error)
        with self._cond:
            now = time.monotonic()
            # Several connections (sync, bodies, IDLE) may fail at once in one outage: the
            # first one is told and sets the backoff; the others change nothing.
            known = self.online is False and (
                (retry and self._retry_at is not None and now < self._retry_at)
                or (not retry and self.error == str(error)))
            restate = known and self._syncing_said
            if known:
                if retry:
                    self._due[job if job is not None else Job.SYNC_ALL] = 0.0
                self._syncing_said = False
                self._cond.notify_all()
            retry_in = (max(0.0, self._retry_at - now) if retry and self._retry_at is not None
                        else None)
        if restate:  # a sync asked for (`$`, the timer) met the same refusal
            self.host.emit(ConnectionState(self.account.name, False, str(error), retry_in,
                                           self._failures, error_kind(error)))
        if known:
            if threading.current_thread() is self._thread:
                self._close_engine()
            else:
                self._engine_stale = True
            return
        with self._cond:
            self.online = False
            self.error = str(error)
            delay: float | None = None
            if retry:
                delays = self.settings.retry_delays
                delay = delays[min(self._failures, len(delays) - 1)]
                self._failures += 1
                self._retry_at = time.monotonic() + delay
                # The job that failed runs again after the wait (any job proves the server
                # back), even if it was planned for later (the next periodic sync).
                self._due[job if job is not None else Job.SYNC_ALL] = 0.0
            self._syncing_said = False
            self._cond.notify_all()
        log.warning("%s: offline: %s%s", self.account.name, error,
                    f" (next try in {delay:.0f} s)" if delay is not None else "")
        self.host.emit(ConnectionState(self.account.name, False, str(error), delay,
                                       self._failures, error_kind(error)))
        if threading.current_thread() is self._thread:
            self._close_engine()  # the engine belongs to this thread
        else:
            self._engine_stale = True  # its connection is as dead: closed before the next job
        with self._cond:  # an IDLE on a dead connection would never say so: a new one later
            watcher, self._watcher = self._watcher, None
        if watcher is not None and not watcher.gave_up:
            watcher.stop(timeout=0)
        elif watcher is not None:
            self._watcher = watcher  # a server without IDLE stays unwatched
        self._ensure_thread()

    def _failed(self, job: Job, exc: TuiMailError) -> None:
        """A job ended in an error: the connection or the login (offline, retried when it
        can pass), or something the server or the cache refused (said; still online)."""
        from tui_mail.errors import CacheError

        if temporary(exc) or isinstance(exc, AuthError | TLSError | SecretError):
            self.connection_lost(exc, job)  # offline; retried only when it can pass
            return
        if isinstance(exc, CacheError):
            self.host.emit(Notice(self.account.name, str(exc), "error"))
        self.sync_error = str(exc)
        self.host.emit(ConnectionState(self.account.name, self.online is not False,
                                       self.sync_error))

    # ---- the jobs -------------------------------------------------------------------------

    def engine(self) -> SyncEngine:
        """The account's sync engine (its connection opens when first used)."""
        from tui_mail.sync.engine import SyncEngine, connector

        if self._engine is None:
            assert self._store is not None
            self._engine = SyncEngine(
                self.account, self._store,
                connector(self.account, provider(self.account, "incoming")),
                on_event=self.host.emit, retries=1, backoff=0.2)
        return self._engine

    def _close_engine(self) -> None:
        engine, self._engine = self._engine, None
        if engine is not None:
            engine.close()

    def _replay(self) -> None:
        from tui_mail.sync.actions import ActionQueue

        assert self._store is not None
        held = self.host.replay_held()
        if held > 0:  # asked early (a reconnect, a reply sent): the undo moment still runs
            if held != float("inf"):
                self.request(Job.REPLAY, delay=held)
            return
        queue = ActionQueue(self._store, self.account)
        pending = queue.pending()
        if not pending:
            return
        folders: dict[str, None] = {}
        for action in pending:
            payload = action.payload  # type: ignore[attr-defined]
            folders[str(payload["folder"])] = None
            if "target" in payload:
                folders[str(payload["target"])] = None
        engine = self.engine()
        with self.host.replay_lock:
            other = ProcessLock(lock_path(Path(self.host.store_path).parent, "replay",
                                          self.account.name))
            if not other.acquire():  # `tui-mail sync` replays them now: look again later
                self.request(Job.REPLAY, delay=5.0)
                return
            try:
                result = queue.replay(engine)
            finally:
                other.release()
        if result.pending:  # the connection went away half-way: the rest waits
            raise ConnectError(result.errors[-1] if result.errors else
                               f"{self.account.name}: the connection was lost")
        self.connection_ok()
        for error in result.errors:
            self.host.emit(SyncError(self.account.name, error))
        for notice in getattr(result, "dropped", []):
            self.host.emit(Notice(self.account.name, notice, "warning"))
        for folder in dict.fromkeys(result.changed):  # a refused folder change, put back
            self.host.emit(FolderChanged(self.account.name, folder))
        # The server's copies (new UIDs in the targets) replace the cache's placeholders;
        # a folder the user deleted (or renamed away) has nothing left to sync.
        known = {f.name for f in self._store.folders(self.account.name)}
        self.request(Job.SYNC_FOLDERS, folders=tuple(f for f in folders if f in known))

    def _sync(self, job: Job) -> None:
        from tui_mail.sync.account_sync import sync_account

        assert self._store is not None
        with self._cond:
            folders = None if job is Job.SYNC_ALL else tuple(sorted(self._folders))
            self._folders.clear()
        if job is Job.SYNC_ALL:
            if self.settings.sync_every > 0:
                self.request(Job.SYNC_ALL, delay=self.settings.sync_every)
            with self._cond:
                self._syncing_said = True
            self.host.emit(SyncProgress(self.account.name, "", 0, 0))  # "syncing"
        started = time.monotonic()
        result = sync_account(
            self._store, self.account, provider(self.account, "incoming"), self.host.emit,
            folders=folders, replay=self.host.replay_held() <= 0,
            replay_lock=self.host.replay_lock, engine=self.engine() if self.imap else None)
        for notice in result.replay_notices:
            self.host.emit(Notice(self.account.name, notice, "warning"))
        if result.stopped_by is not None:
            self._failed(job, result.stopped_by)
            return
        # Online; a folder the server refused stays said in the status line.
        self.sync_error = result.errors[-1] if result.errors else ""
        self.connection_ok()
        self.host.emit(ConnectionState(self.account.name, True, self.sync_error))
        log.info("%s: synced %s in %.1f s: %d new, %d changed, %d removed%s",
                 self.account.name, "every folder" if folders is None else ", ".join(folders),
                 time.monotonic() - started, result.new, result.changed, result.vanished,
                 f"; {len(result.errors)} error(s)" if result.errors else "")
        if job is Job.SYNC_ALL:
            self.host.deliver_soon()
        if self.imap and self.account.download_bodies != "on-open":
            self.request(Job.BODIES)

    def _bodies(self) -> None:
        from tui_mail.sync.bodies import download_bodies

        assert self._store is not None
        engine = self.engine()

        def others_wait() -> bool:
            now = time.monotonic()
            with self._cond:
                return any(at <= now for job, at in self._due.items() if job < Job.BODIES)

        result = download_bodies(self._store, self.account, lambda: engine.backend,
                                 Path(self.host.store_path).parent, should_yield=others_wait)
        self.connection_ok()
        if result.bodies:
            log.info("%s: downloaded %d bod%s", self.account.name, result.bodies,
                     "y" if result.bodies == 1 else "ies")
        if not result.finished:
            # Yielded to other work (it runs first), or another program is downloading.
            self.request(Job.BODIES, delay=60.0 if result.busy else 0.0)

    def _drafts(self) -> None:
        from tui_mail.errors import ServerRefused
        from tui_mail.sync.drafts import Drafts

        assert self._store is not None
        drafts = Drafts(self._store, self.account, provider(self.account, "incoming"))
        while True:
            with self._cond:
                if not self._draft_jobs:
                    break
                job = self._draft_jobs[0]
            try:
                if job.kind == "save":
                    folder = drafts.save_to_server(job.key, job.raw)
                    if folder is not None:  # None: no server folder, only the local copy
                        prefix = self._store.folder_edits.personal_namespace(self.account.name)[0]
                        shown = path_in_namespace(folder, prefix)
                        self.host.emit(Notice(self.account.name, f"Draft saved to {shown}."))
                        if self._store.folder(self.account.name, folder) is None:
                            self.request(Job.SYNC_ALL)  # made just now: into the tree with its role
                else:
                    drafts.discard_on_server(job.key)
            except ServerRefused as exc:  # this draft only: said, and the others go on
                self.host.emit(Notice(self.account.name, "The draft stays in the local cache; "
                                      f"the server refused it: {exc}", "warning"))
            with self._cond:
                if job in self._draft_jobs:
                    self._draft_jobs.remove(job)
            self.connection_ok()

    # ---- IDLE -----------------------------------------------------------------------------

    def _start_watcher(self) -> None:
        from tui_mail.sync.engine import connector
        from tui_mail.sync.watcher import Watcher

        if not self.settings.idle or not self.imap:
            return
        with self._cond:
            if self._stop:
                return
            current = self._watcher
            if current is not None and (current.running or current.gave_up):
                return
            watcher = Watcher(
                self.account, connector(self.account, provider(self.account, "incoming")),  # type: ignore[arg-type]
                on_change=lambda folder: self.request(Job.SYNC_FOLDERS, folders=(folder,)),
                on_lost=lambda error: self._watcher_lost(watcher, error), folder="INBOX")
            self._watcher = watcher
            # Started under the lock: a second caller sees it running and starts no twin
            # (two watchers both report the same loss, the second after the recovery).
            watcher.start()

    def _watcher_lost(self, watcher: Watcher, error: TuiMailError) -> None:
        if watcher is not self._watcher:
            return  # an old watcher's news: a newer one watches already
        if watcher.gave_up:
            self.host.emit(Notice(self.account.name, str(error), "warning"))
            return
        self.connection_lost(error)

    @property
    def watcher(self) -> Watcher | None:
        return self._watcher
