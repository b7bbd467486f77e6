"""The sync engine against a real Dovecot: initial sync, incremental changes, UIDVALIDITY,
servers without CONDSTORE/QRESYNC, and a connection cut in the middle of a sync."""

from __future__ import annotations

import threading

import pytest

from tui_mail.model import Flags
from tui_mail.sync.events import FolderChanged, SyncProgress

pytestmark = pytest.mark.servers


def test_initial_sync_of_5000_messages_caches_every_header_newest_first(dovecot, make_harness, message):
    h = make_harness(dovecot)
    dovecot.deliver_many(h.user, [message(i) for i in range(5000)])

    result = h.sync(["INBOX"])

    assert result.ok, result.errors
    assert result.new == 5000
    assert h.cached_uids() == dovecot.uids(h.user)
    progress = [e for e in h.events if isinstance(e, SyncProgress)]
    assert progress[-1].done == progress[-1].total == 5000
    folder = h.store.folder(h.account.name, "INBOX")
    first_page = h.store.listing.page(_view(folder), 0, 3)
    assert [m.subject for m in first_page] == ["message 4999", "message 4998", "message 4997"]
    assert FolderChanged(h.account.name, "INBOX") in h.events


def _view(folder):
    from tui_mail.store import View

    return View.of(folder)


def _changes_by_another_client(dovecot, h, message):
    """New mail, a flag change and an expunge made by another client; returns the new UID."""
    uids = dovecot.uids(h.user)
    other = h.other_client()
    try:
        other.set_flags("INBOX", [uids[0]], ["\\Flagged", "\\Seen"], True)
        other.delete("INBOX", [uids[1]])
    finally:
        other.close()
    return dovecot.deliver(h.user, message(100, "late arrival"))


@pytest.mark.parametrize("server", ["dovecot", "plain_dovecot"])
def test_next_sync_picks_up_new_mail_flag_changes_and_expunges(server, request, make_harness, message):
    dovecot = request.getfixturevalue(server)
    h = make_harness(dovecot)
    dovecot.deliver_many(h.user, [message(i) for i in range(20)])
    assert h.sync(["INBOX"]).ok
    uids = h.cached_uids()

    new_uid = _changes_by_another_client(dovecot, h, message)
    result = h.sync(["INBOX"])

    assert result.ok, result.errors
    assert (result.new, result.vanished, result.flag_changes) == (1, 1, 1)
    cached = h.store.uid_flags(h.account.name, "INBOX")
    assert sorted(cached) == dovecot.uids(h.user)
    assert uids[1] not in cached and new_uid in cached
    assert cached[uids[0]] == Flags(seen=True, flagged=True)

    again = h.sync(["INBOX"])
    assert (again.new, again.vanished, again.flag_changes) == (0, 0, 0)


def test_changed_uidvalidity_drops_the_folder_cache_and_refetches(dovecot, make_harness, message):
    h = make_harness(dovecot)
    other = h.other_client()
    try:
        other.create_folder("Work")
        for i in range(5):
            other.append("Work", message(i))
        assert h.sync(["Work"]).ok
        before = h.store.sync_state(h.account.name, "Work").uidvalidity
        assert len(h.cached_uids("Work")) == 5

        # Deleted and recreated under the same name: a new UIDVALIDITY, UIDs start again at 1.
        other.delete_folder("Work")
        other.create_folder("Work")
        for i in range(3):
            other.append("Work", message(i, f"again {i}"))
    finally:
        other.close()
    result = h.sync(["Work"])

    assert result.ok, result.errors
    assert result.resets == 1
    assert h.store.sync_state(h.account.name, "Work").uidvalidity != before
    folder = h.store.folder(h.account.name, "Work")
    subjects = sorted(m.subject for m in h.store.listing.page(_view(folder), 0, 10))
    assert subjects == ["again 0", "again 1", "again 2"]


def test_a_connection_cut_mid_sync_leaves_no_duplicate_and_no_gap(dovecot, make_harness, message):
    h = make_harness(dovecot)
    dovecot.deliver_many(h.user, [message(i) for i in range(3000)])
    started = threading.Event()

    def on_event(event):
        h.events.append(event)
        if isinstance(event, SyncProgress) and not started.is_set():
            started.set()
            dovecot.kill_imap_processes()  # from the sync thread's own callback: mid-fetch

    engine = h.engine(on_event=on_event, retries=0)  # let the first run fail at the cut
    engine.header_batch = 200  # many batches, so most are still to come at the cut
    first = engine.sync(["INBOX"])
    engine.close()
    assert started.is_set()
    assert not first.ok  # the cut was noticed
    assert 0 < len(h.cached_uids()) < 3000

    second = h.sync(["INBOX"])

    assert second.ok, second.errors
    assert h.cached_uids() == dovecot.uids(h.user)
    folder = h.store.folder(h.account.name, "INBOX")
    assert h.store.listing.count(_view(folder)) == 3000


def test_a_dropped_connection_is_reopened_and_the_sync_completes(dovecot, make_harness, message):
    h = make_harness(dovecot)
    dovecot.deliver_many(h.user, [message(i) for i in range(2500)])
    killed = []

    def on_event(event):
        if isinstance(event, SyncProgress) and not killed:
            killed.append(dovecot.kill_imap_processes())

    engine = h.engine(on_event=on_event)
    engine.header_batch = 200
    result = engine.sync(["INBOX"])
    engine.close()

    assert killed and killed[0] >= 1
    assert result.ok, result.errors
    assert h.cached_uids() == dovecot.uids(h.user)


def test_bodies_are_fetched_up_to_the_cap_without_marking_read(dovecot, make_harness, message,
                                                              tmp_path):
    from tui_mail.sync.bodies import BodyFetcher, download_bodies

    h = make_harness(dovecot)
    big = message(1, "big") + b"x" * 5000 + b"\r\n"
    dovecot.deliver_many(h.user, [message(0, "small"), big])
    h.account = type(h.account)(**{**h.account.__dict__, "body_size_cap": 2000})

    assert h.sync(["INBOX"]).ok
    backend = h.connect()
    try:
        result = download_bodies(h.store, h.account, lambda: backend, tmp_path)
    finally:
        backend.close()

    assert result.bodies == 1 and result.finished
    small_uid, big_uid = dovecot.uids(h.user)
    ids = h.store.ids_for_uids(h.account.name, "INBOX", [small_uid, big_uid])
    assert b"body of message 0" in h.store.raw_message(ids[small_uid])
    assert h.store.raw_message(ids[big_uid]) is None
    fetcher = BodyFetcher(h.account, h.store.path, h.connect, lambda ok, error: None)
    try:
        raw = fetcher.fetch(ids[big_uid]).result(timeout=20)  # on demand, whatever its size
    finally:
        fetcher.stop()
    assert raw.endswith(b"x" * 100 + b"\r\n")
    assert h.store.raw_message(ids[big_uid]) == raw
    assert not any(f.seen for f in h.store.uid_flags(h.account.name, "INBOX").values())


def test_a_stopped_engine_connects_no_more_even_to_retry(dovecot, make_harness):
    """Stopping aborts the connection; the command that fails then must not reconnect."""
    h = make_harness(dovecot)
    connects = []

    def counting():
        connects.append(1)
        return h.connect()

    engine = h.engine(connect=counting)
    engine.list_folders()
    engine.abort()
    result = engine.sync(["INBOX"])
    engine.close()
    assert not result.ok
    assert len(connects) == 1
