"""Download a POP3 maildrop into the cache's INBOX of the account, incrementally by UIDL.

Why not the generic engine: POP3 has whole messages only (no server flags, no folders) and
the cache keys POP3 mail by UIDL in its own table, so "already downloaded" survives local moves
and deletions; and "delete from the server" must wait until the message is durably in the cache.
This module does exactly that and emits the same events as the engine.

Order of work in one run:
1. UIDL (or, on a server without it, a header-hash key per message; never delete then).
2. RETR each message whose key the cache has not recorded, in batches: each batch's messages and
   their UIDL records go into the cache in one transaction. A run killed at any point leaves
   every committed message recorded, so the next run fetches only the rest.
3. Only then, per `Account.pop3_delete_after_days`, DELE what the cache holds (0: everything
   recorded; N: what was downloaded N days ago or earlier), and QUIT so the server applies it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from tui_mail.errors import TuiMailError
from tui_mail.model import Account, Flags, Folder, FolderRole
from tui_mail.remote.connection import Credentials, describe
from tui_mail.remote.pop3 import Pop3Session, UidlUnsupported
from tui_mail.remote.wire import account_literal_limit
from tui_mail.store.types import NewMessage
from tui_mail.sync.arrivals import Arrivals, ArrivalsStore
from tui_mail.sync.events import EventSink, FolderChanged, SyncError, SyncProgress, ignore

INBOX = "INBOX"
BATCH = 50


@dataclass
class Pop3SyncResult:
    """What one run did. `errors` and `warnings` hold user-facing texts."""

    fetched: int = 0  # messages downloaded into the cache by this run
    on_server: int = 0  # messages in the maildrop when the run started
    deleted: int = 0  # messages the server deleted at the end of this run
    uidl: bool = True  # False: the server has no UIDL and the header-hash fallback was used
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    stopped_by: TuiMailError | None = None  # what ended the run early (connection, login)

    @property
    def ok(self) -> bool:
        return not self.errors


def no_uidl_warning(account: Account) -> str:
    text = (
        f"{describe(account.incoming)}: the server does not support UIDL; messages are "
        "recognised by a hash of their headers and size instead"
    )
    if account.pop3_delete_after_days is not None:
        text += ", and nothing is deleted from the server (pop3_delete_after_days is ignored)"
    return text


class Pop3Rows(Protocol):
    """The POP3 UIDL state in the cache (`tui_mail.store.queues.Queues`)."""

    def pop3_known_uidls(self, account: str) -> set[str]: ...

    def pop3_record(self, account: str, uidl: str, message_row_id: int | None) -> None: ...

    def pop3_fetched(self, account: str) -> Iterator[tuple[str, datetime, bool]]: ...

    def pop3_mark_deleted(self, account: str, uidls: Iterable[str]) -> None: ...


class Pop3Store(ArrivalsStore, Protocol):
    """The part of tui_mail.store.Store a POP3 sync uses: its INBOX, the messages it caches
    there, the UIDLs it has fetched (and what arrivals read)."""

    def ensure_folder(self, account: str, name: str, role: FolderRole = FolderRole.NONE,
                      delimiter: str = "/") -> Folder: ...

    def add_messages(self, account: str, folder: str, items: Iterable[NewMessage],
                     batch_size: int = 500) -> list[int]: ...

    @property
    def queues(self) -> Pop3Rows: ...


def sync_pop3_account(
    store: Pop3Store,
    account: Account,
    creds: Credentials,
    on_event: EventSink = ignore,
    *,
    now: datetime | None = None,
    apop: bool = False,
    open_session: Callable[[], Pop3Session] | None = None,
) -> Pop3SyncResult:
    """Fetch new mail of a POP3 account into its cache folder INBOX; apply the deletion policy.

    Never raises a TuiMailError: failures are in the result and sent as SyncError events, like
    the engine's `sync()`. `now` (UTC) decides which messages are old enough to delete;
    `open_session` replaces the login (tests use it to wrap the session).
    """
    result = Pop3SyncResult()
    limit = account_literal_limit(account)
    opener = open_session or (lambda: Pop3Session.open(account.incoming, creds, apop=apop,
                                                       max_literal=limit))
    try:
        store.ensure_folder(account.name, INBOX, FolderRole.INBOX)
        with opener() as session:
            _run(store, account, session, on_event, now, result)
    except TuiMailError as exc:
        result.errors.append(str(exc))
        result.stopped_by = exc
        on_event(SyncError(account.name, str(exc), INBOX))
    return result


def _run(
    store: Pop3Store,
    account: Account,
    session: Pop3Session,
    emit: EventSink,
    now: datetime | None,
    result: Pop3SyncResult,
) -> None:
    try:
        keys = session.uidls()
    except UidlUnsupported:
        result.uidl = False
        keys = session.fallback_keys()
        warning = no_uidl_warning(account)
        result.warnings.append(warning)
        emit(SyncError(account.name, warning, INBOX))
    result.on_server = len(keys)
    sizes = session.sizes()
    known = set(store.queues.pop3_known_uidls(account.name))
    todo = [n for n in sorted(keys) if keys[n] not in known]
    # The first download of a maildrop is no news (nothing recorded yet).
    arrivals = Arrivals.watch(account, store, INBOX, synced_before=bool(known))
    for start in range(0, len(todo), BATCH):
        batch = todo[start : start + BATCH]
        downloaded = [(keys[n], session.retr(n), sizes.get(n, 0)) for n in batch]
        if arrivals is not None:
            for n, (_, raw, _) in zip(batch, downloaded, strict=True):
                arrivals.consider(store, n, Flags(), raw)
        _commit(store, account.name, downloaded)
        result.fetched += len(batch)
        emit(SyncProgress(account.name, INBOX, result.fetched, len(todo), "messages"))
        emit(FolderChanged(account.name, INBOX))
    marked: list[str] = []
    if result.uidl and account.pop3_delete_after_days is not None:
        marked = _mark_for_deletion(store, account, session, keys, now)
    session.quit()
    arrived = arrivals.event() if arrivals is not None else None
    if arrived is not None:
        emit(arrived)
    if marked:
        store.queues.pop3_mark_deleted(account.name, marked)
        result.deleted = len(marked)
        emit(FolderChanged(account.name, INBOX))


def _commit(store: Pop3Store, account: str, downloaded: list[tuple[str, bytes, int]]) -> None:
    """Cache the messages, then record their UIDLs.

    Two transactions, and safe: a run killed between them fetches those messages again next
    time, and the store returns the row it already holds for the same bytes (no duplicate).
    """
    items = [NewMessage(uid=None, raw=raw, size=len(raw)) for _, raw, _ in downloaded]
    rows = store.add_messages(account, INBOX, items)
    for (uidl, _, _), row in zip(downloaded, rows, strict=True):
        store.queues.pop3_record(account, uidl, row)


def _mark_for_deletion(
    store: Pop3Store, account: Account, session: Pop3Session, keys: dict[int, str], now: datetime | None
) -> list[str]:
    """DELE what the cache durably holds and is old enough; the server applies it at QUIT."""
    days = account.pop3_delete_after_days or 0
    cutoff = (now or datetime.now(UTC)) - timedelta(days=days)
    old_enough = {
        uidl for uidl, when, _ in store.queues.pop3_fetched(account.name)
        if days == 0 or when <= cutoff
    }
    numbers = [n for n in sorted(keys) if keys[n] in old_enough]
    for number in numbers:
        session.dele(number)
    return [keys[n] for n in numbers]
