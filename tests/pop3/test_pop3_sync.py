"""Incremental POP3 download into the cache, against the real Dovecot of the test session."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from tui_mail.errors import CacheError
from tui_mail.model import Folder, Security
from tui_mail.remote.pop3 import Pop3Session, UidlUnsupported
from tui_mail.store.db import Store
from tui_mail.store.listing import Listing
from tui_mail.store.queues import Queues
from tui_mail.store.types import View
from tui_mail.sync.events import SyncProgress
from tui_mail.sync.pop3_sync import INBOX, sync_pop3_account

from .env import Pop3Env, message

pytestmark = pytest.mark.servers


def cached_message_ids(store: Store, account: str) -> Counter[str]:
    ids: Counter[str] = Counter()
    for folder in store.folders(account):
        for summary in store.listing.page(View.of(folder), 0, 100_000):
            ids[summary.message_id] += 1
    return ids


def inbox_rows(store: Store, account: str) -> list:
    folder = store.folder(account, INBOX)
    assert folder is not None
    return store.listing.page(View.of(folder), 0, 100_000)


@pytest.mark.parametrize("security", [Security.TLS, Security.STARTTLS])
def test_first_sync_fetches_everything_and_second_fetches_nothing(
    pop3: Pop3Env, store: Store, security: Security
) -> None:
    pop3.deliver_many([message(n) for n in range(1000)])
    account = pop3.account(security)

    first = sync_pop3_account(store, account, pop3.creds)
    second = sync_pop3_account(store, account, pop3.creds)

    assert first.ok and first.fetched == 1000
    assert second.ok and second.fetched == 0
    ids = cached_message_ids(store, account.name)
    assert len(ids) == 1000 and set(ids.values()) == {1}
    assert pop3.on_server() == 1000  # default: mail stays on the server


def test_only_new_mail_is_fetched(pop3: Pop3Env, store: Store) -> None:
    account = pop3.account()
    pop3.deliver_many([message(n) for n in range(5)])
    sync_pop3_account(store, account, pop3.creds)
    pop3.deliver_many([message(n, "new") for n in range(3)])

    events: list[object] = []
    result = sync_pop3_account(store, account, pop3.creds, events.append)

    assert result.fetched == 3
    assert [e.done for e in events if isinstance(e, SyncProgress)][-1] == 3
    ids = cached_message_ids(store, account.name)
    assert {"<new-0@test>", "<new-1@test>", "<new-2@test>"} <= set(ids)
    assert len(ids) == 8


class Interrupted(Exception):
    """Stands for the process being stopped in the middle of a sync."""


def test_a_sync_stopped_midway_resumes_without_duplicates(pop3: Pop3Env, store: Store) -> None:
    pop3.deliver_many([message(n) for n in range(180)])
    account = pop3.account()

    def stop_after_two_batches(event: object) -> None:
        if isinstance(event, SyncProgress) and event.done >= 100:
            raise Interrupted

    with pytest.raises(Interrupted):
        sync_pop3_account(store, account, pop3.creds, stop_after_two_batches)
    assert 0 < len(inbox_rows(store, account.name)) < 180

    again = sync_pop3_account(store, account, pop3.creds)

    assert again.ok and again.fetched == 80
    ids = cached_message_ids(store, account.name)
    assert len(ids) == 180 and set(ids.values()) == {1}


def test_delete_after_download_empties_the_server_only_once_all_is_cached(
    pop3: Pop3Env, store: Store
) -> None:
    pop3.deliver_many([message(n) for n in range(120)])
    account = pop3.account(delete_after=0)
    cached_at_dele: list[int] = []

    class Watched(Pop3Session):
        def dele(self, number: int) -> None:
            cached_at_dele.append(len(inbox_rows(store, account.name)))
            super().dele(number)

    result = sync_pop3_account(
        store, account, pop3.creds,
        open_session=lambda: Watched.open(account.incoming, pop3.creds),
    )

    assert result.ok and result.deleted == 120
    assert cached_at_dele and set(cached_at_dele) == {120}
    assert pop3.on_server() == 0
    assert len(cached_message_ids(store, account.name)) == 120


def test_delete_after_days_waits_until_the_messages_are_old_enough(
    pop3: Pop3Env, store: Store
) -> None:
    pop3.deliver_many([message(n) for n in range(4)])
    account = pop3.account(delete_after=3)
    today = datetime.now(UTC)

    kept = sync_pop3_account(store, account, pop3.creds, now=today)
    assert kept.deleted == 0 and pop3.on_server() == 4

    later = sync_pop3_account(store, account, pop3.creds, now=today + timedelta(days=3, hours=1))
    assert later.deleted == 4 and later.fetched == 0
    assert pop3.on_server() == 0
    assert len(inbox_rows(store, account.name)) == 4


class FailingStore:
    """The real store, except that caching messages fails after `ok_batches` batches."""

    def __init__(self, store: Store, ok_batches: int) -> None:
        self._store = store
        self._left = ok_batches

    def add_messages(self, *args: object, **kwargs: object) -> list[int]:
        if self._left <= 0:
            raise CacheError("could not write the cache: disk full (simulated)")
        self._left -= 1
        return self._store.add_messages(*args, **kwargs)  # type: ignore[arg-type]

    def ensure_folder(self, *args: object, **kwargs: object) -> Folder:
        return self._store.ensure_folder(*args, **kwargs)  # type: ignore[arg-type]

    def folder(self, account: str, name: str) -> Folder | None:
        return self._store.folder(account, name)

    @property
    def listing(self) -> Listing:
        return self._store.listing

    @property
    def queues(self) -> Queues:
        return self._store.queues


@pytest.mark.parametrize("ok_batches", [0, 1])
def test_nothing_is_deleted_when_the_cache_cannot_be_written(
    pop3: Pop3Env, store: Store, ok_batches: int
) -> None:
    pop3.deliver_many([message(n) for n in range(70)])
    account = pop3.account(delete_after=0)

    result = sync_pop3_account(store and FailingStore(store, ok_batches), account, pop3.creds)

    assert not result.ok and "disk full" in result.errors[0]
    assert result.deleted == 0
    assert pop3.on_server() == 70


def test_local_flags_and_moves_survive_the_next_fetch(pop3: Pop3Env, store: Store) -> None:
    account = pop3.account()
    pop3.deliver_many([message(n) for n in range(3)])
    sync_pop3_account(store, account, pop3.creds)
    rows = {r.message_id: r.id for r in inbox_rows(store, account.name)}
    store.set_flags_local([rows["<m-0@test>"]], seen=True, flagged=True)
    store.move_local([rows["<m-1@test>"]], account.name, "Archive")
    pop3.deliver_many([message(9, "later")])

    result = sync_pop3_account(store, account, pop3.creds)

    assert result.fetched == 1
    flagged = store.message_row(rows["<m-0@test>"])
    assert flagged is not None and flagged.flags.seen and flagged.flags.flagged
    moved = store.message_row(rows["<m-1@test>"])
    assert moved is not None and moved.folder == "Archive"
    assert cached_message_ids(store, account.name) == Counter(
        {"<m-0@test>": 1, "<m-1@test>": 1, "<m-2@test>": 1, "<later-9@test>": 1}
    )


class WithoutUidl(Pop3Session):
    def uidls(self) -> dict[int, str]:
        raise UidlUnsupported("pop3://test: the server does not support UIDL (simulated)")


def test_a_server_without_uidl_is_named_never_duplicated_and_never_deleted(
    pop3: Pop3Env, store: Store
) -> None:
    account = pop3.account(delete_after=0)
    pop3.deliver_many([message(n) for n in range(6)])

    def opener() -> Pop3Session:
        return WithoutUidl.open(account.incoming, pop3.creds)

    first = sync_pop3_account(store, account, pop3.creds, open_session=opener)
    pop3.deliver_many([message(7, "new")])
    second = sync_pop3_account(store, account, pop3.creds, open_session=opener)

    assert not first.uidl and "does not support UIDL" in first.warnings[0]
    assert "nothing is deleted" in first.warnings[0]
    assert first.fetched == 6 and second.fetched == 1
    assert first.deleted == second.deleted == 0
    assert pop3.on_server() == 7
    ids = cached_message_ids(store, account.name)
    assert len(ids) == 7 and set(ids.values()) == {1}
