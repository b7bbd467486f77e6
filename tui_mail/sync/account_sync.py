"""One sync of one account, whatever its protocol: what `tui-mail sync` and the app's mail
service both run.

IMAP: the account's queued actions go to the server first (so the sync that follows reads the
server with the user's changes in it), then the folders are synced, then (when asked) the
bodies are downloaded. POP3: new mail is downloaded into the account's INBOX; POP3 has no
server-side flags or folders, so there is nothing to replay.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from tui_mail.errors import ServerRefused, TuiMailError
from tui_mail.model import Account, Protocol
from tui_mail.remote.connection import Credentials
from tui_mail.store.db import Store
from tui_mail.sync.events import EventSink, FolderChanged, SyncError, SyncProgress, ignore

BODY_LOCK_WAIT = 600.0  # seconds `sync --bodies` waits for another program's body download


@dataclass
class AccountSyncResult:
    """Counts of one run and the user-facing texts of what went wrong."""

    folders: int = 0
    new: int = 0
    changed: int = 0
    vanished: int = 0
    bodies: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    stopped_by: TuiMailError | None = None  # what ended the run early (connection, login)
    replay_notices: list[str] = field(default_factory=list)  # actions dropped, say why

    @property
    def ok(self) -> bool:
        return not self.errors


def sync_account(
    store: Store,
    account: Account,
    credentials: Callable[[], Credentials],
    on_event: EventSink = ignore,
    *,
    folders: Sequence[str] | None = None,
    bodies: bool = False,
    replay: bool = True,
    replay_lock: threading.Lock | None = None,
    engine: object | None = None,
) -> AccountSyncResult:
    """Sync `account` into `store` (every folder, or `folders`). Never raises a TuiMailError:
    failures are in the result and sent as SyncError events. Without `replay` the queued
    actions wait (the app's undo window); `replay_lock` keeps their replay from running
    beside another replay of the same cache. `engine` reuses a `SyncEngine` (and its open
    connection) of the caller, who then also closes it. `bodies` downloads every body under
    the account's cap (of `folders`, when given) after the headers."""
    if account.incoming.protocol is Protocol.POP3:
        return _sync_pop3(store, account, credentials, on_event)
    from tui_mail.sync.engine import SyncEngine, connector

    result = AccountSyncResult()
    own = engine is None
    sync_engine = SyncEngine(account, store, connector(account, credentials), on_event) \
        if engine is None else engine
    assert isinstance(sync_engine, SyncEngine)
    lock: AbstractContextManager[object] = replay_lock if replay_lock is not None \
        else nullcontext()
    try:
        if replay and store.queues.pending_actions(account.name):  # else nothing to load or lock
            from tui_mail.sync.actions import ActionQueue
            from tui_mail.sync.proclock import ProcessLock, lock_path  # hashlib: not for every sync

            with lock, ProcessLock(lock_path(Path(store.path).parent, "replay", account.name)):
                # One replay at a time across programs too: a copy sent twice is two copies.
                replayed = ActionQueue(store, account).replay(sync_engine)
            for error in replayed.errors:
                result.errors.append(error)
                on_event(SyncError(account.name, error))
            for folder in dict.fromkeys(replayed.changed):  # a refused folder change, put back
                on_event(FolderChanged(account.name, folder))
            result.replay_notices += replayed.dropped
        if bodies:  # new mail comes whole, in one pass, where there is much of it
            sync_engine.whole_cap = account.body_size_cap
        try:
            synced = sync_engine.sync(folders)
        finally:
            sync_engine.whole_cap = None
        result.folders = synced.folders
        result.new = synced.new
        result.changed = synced.flag_changes
        result.vanished = synced.vanished
        result.bodies = synced.bodies
        result.errors += synced.errors
        result.stopped_by = synced.stopped_by
        if bodies and synced.stopped_by is None:
            _download(store, account, sync_engine, folders, on_event, result)
    finally:
        if own:
            sync_engine.close()
    return result


def _download(store: Store, account: Account, engine: object, folders: Sequence[str] | None,
              on_event: EventSink, result: AccountSyncResult) -> None:
    from tui_mail.sync.bodies import DownloadResult, download_bodies
    from tui_mail.sync.engine import SyncEngine

    assert isinstance(engine, SyncEngine)

    def progress(done: int, total: int) -> None:
        on_event(SyncProgress(account.name, "", done, total, "bodies"))

    got = DownloadResult()  # filled as bodies are written: a lost connection keeps its count
    try:
        download_bodies(store, account, lambda: engine.backend, Path(store.path).parent,
                        wait_for_lock=BODY_LOCK_WAIT, folders=folders, everything=True,
                        progress=progress, result=got)
    except ServerRefused as exc:
        result.bodies += got.bodies
        result.errors.append(str(exc))
        on_event(SyncError(account.name, str(exc)))
        return
    except TuiMailError as exc:
        result.bodies += got.bodies
        result.errors.append(str(exc))
        result.stopped_by = exc
        on_event(SyncError(account.name, str(exc)))
        return
    result.bodies += got.bodies
    if got.busy:
        result.warnings.append("another tui-mail kept downloading this account's bodies for "
                               f"{BODY_LOCK_WAIT:.0f} s; the rest is left to it")


def _sync_pop3(store: Store, account: Account, credentials: Callable[[], Credentials],
               on_event: EventSink) -> AccountSyncResult:
    from tui_mail.sync.pop3_sync import INBOX, sync_pop3_account

    result = AccountSyncResult()
    try:
        creds = credentials()
    except TuiMailError as exc:
        result.errors.append(str(exc))
        result.stopped_by = exc
        on_event(SyncError(account.name, str(exc), INBOX))
        return result
    pop = sync_pop3_account(store, account, creds, on_event)
    result.folders = 1
    result.new = pop.fetched
    result.vanished = pop.deleted
    result.errors += pop.errors
    result.warnings += pop.warnings
    result.stopped_by = pop.stopped_by
    return result
