"""One sync of one account, whatever its protocol: what `tui-mail sync` and the app's
background sync both run.

IMAP: the account's queued actions go to the server first (so the sync that follows reads the
server with the user's changes in it), then the folders are synced. POP3: new mail is
downloaded into the account's INBOX; POP3 has no server-side flags or folders, so there is
nothing to replay.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from tui_mail.errors import TuiMailError
from tui_mail.model import Account, Protocol
from tui_mail.remote.connection import Credentials
from tui_mail.sync.events import EventSink, SyncError, ignore


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

    @property
    def ok(self) -> bool:
        return not self.errors


def sync_account(
    store: Any,
    account: Account,
    credentials: Callable[[], Credentials],
    on_event: EventSink = ignore,
    *,
    folders: Sequence[str] | None = None,
    bodies: bool = False,
    replay: bool = True,
    replay_lock: threading.Lock | None = None,
) -> AccountSyncResult:
    """Sync `account` into `store` (every folder, or `folders`). Never raises a TuiMailError:
    failures are in the result and sent as SyncError events. Without `replay` the queued
    actions wait (the app's undo window); `replay_lock` keeps their replay from running
    beside another replay of the same cache."""
    if account.incoming.protocol is Protocol.POP3:
        return _sync_pop3(store, account, credentials, on_event)
    from tui_mail.sync.actions import ActionQueue
    from tui_mail.sync.engine import SyncEngine, connector

    result = AccountSyncResult()
    engine = SyncEngine(account, store, connector(account, credentials), on_event)
    lock: AbstractContextManager[object] = replay_lock if replay_lock is not None \
        else nullcontext()
    try:
        if replay:
            with lock:
                replayed = ActionQueue(store, account).replay(engine)
            for error in replayed.errors:
                result.errors.append(error)
                on_event(SyncError(account.name, error))
        synced = engine.sync(folders, bodies=bodies)
    finally:
        engine.close()
    result.folders = synced.folders
    result.new = synced.new
    result.changed = synced.flag_changes
    result.vanished = synced.vanished
    result.bodies = synced.bodies
    result.errors += synced.errors
    return result


def _sync_pop3(store: Any, account: Account, credentials: Callable[[], Credentials],
               on_event: EventSink) -> AccountSyncResult:
    from tui_mail.sync.pop3_sync import INBOX, sync_pop3_account

    result = AccountSyncResult()
    try:
        creds = credentials()
    except TuiMailError as exc:
        result.errors.append(str(exc))
        on_event(SyncError(account.name, str(exc), INBOX))
        return result
    pop = sync_pop3_account(store, account, creds, on_event)
    result.folders = 1
    result.new = pop.fetched
    result.vanished = pop.deleted
    result.errors += pop.errors
    result.warnings += pop.warnings
    return result
