"""The offline action queue and the IDLE watcher against a real Dovecot."""

from __future__ import annotations

import time

import pytest

from tui_mail.errors import ConnectError
from tui_mail.model import Flags
from tui_mail.store import Store
from tui_mail.sync.actions import ActionQueue
from tui_mail.sync.watcher import Watcher

pytestmark = pytest.mark.servers


def _rows(h, folder="INBOX"):
    uids = h.cached_uids(folder)
    ids = h.store.ids_for_uids(h.account.name, folder, uids)
    return [ids[u] for u in uids]


def test_offline_actions_apply_at_once_survive_a_restart_and_replay_in_order(
    own_dovecot, make_harness, message
):
    h = make_harness(own_dovecot)
    own_dovecot.deliver_many(h.user, [message(i) for i in range(4)])
    assert h.sync(["INBOX"]).ok
    uids = own_dovecot.uids(h.user)
    read, flagged, moved, deleted = _rows(h)

    own_dovecot.stop()
    queue = ActionQueue(h.store, h.account)
    queue.mark_read([read])
    queue.flag([flagged])
    queue.move([moved], "Archive")
    queue.delete([deleted])
    # The cache shows it all at once, while the server is unreachable.
    flags = h.store.uid_flags(h.account.name, "INBOX")
    assert flags[uids[0]].seen and flags[uids[1]].flagged
    assert sorted(flags) == uids[:2]
    assert h.store.message_row(moved).folder == "Archive"
    assert h.store.message_row(deleted).folder == "Trash"
    offline = h.engine(retries=1)
    assert ActionQueue(h.store, h.account).replay(offline).pending == 4
    offline.close()

    # Restart: a new process opens the same cache and replays when the server is back.
    path = h.store.path
    h.store.close()
    h.store = Store.open(path)
    own_dovecot.start()
    engine = h.engine()
    try:
        replayed = ActionQueue(h.store, h.account).replay(engine)
    finally:
        engine.close()
    assert (replayed.done, replayed.failed, replayed.pending) == (4, 0, 0)

    assert own_dovecot.uids(h.user) == uids[:2]
    assert own_dovecot.message_count(h.user, "Archive") == 1
    assert own_dovecot.message_count(h.user, "Trash") == 1
    assert h.sync(None).ok
    server_flags = h.store.uid_flags(h.account.name, "INBOX")
    assert server_flags[uids[0]] == Flags(seen=True)
    assert server_flags[uids[1]] == Flags(flagged=True)
    assert len(h.cached_uids("Archive")) == 1 and len(h.cached_uids("Trash")) == 1
    archive = h.store.folder(h.account.name, "Archive")
    assert h.store.listing.count(_view(archive)) == 1  # the local placeholder did not stay as a duplicate


def _view(folder):
    from tui_mail.store import View

    return View.of(folder)


def test_replay_records_the_server_words_when_a_message_or_folder_is_gone(
    dovecot, make_harness, message
):
    h = make_harness(dovecot)
    dovecot.deliver_many(h.user, [message(i) for i in range(3)])
    assert h.sync(["INBOX"]).ok
    first, second, third = _rows(h)
    uids = dovecot.uids(h.user)
    queue = ActionQueue(h.store, h.account)
    queue.flag([first])
    queue.move([second], "No Such Folder")
    queue.delete([third])
    other = h.other_client()
    try:
        other.delete("INBOX", [uids[0], uids[2]])  # gone before the replay
    finally:
        other.close()

    engine = h.engine()
    try:
        result = queue.replay(engine)
    finally:
        engine.close()

    assert (result.done, result.failed) == (1, 2)
    failed = {a.kind: a.error for a in queue.failed()}
    assert "no longer in 'INBOX'" in failed["flags"]
    assert "No Such Folder" in failed["move"] and "does not exist" in failed["move"]
    assert queue.pending() == []


def test_idle_reports_a_delivery_to_the_watched_folder(dovecot, make_harness, message):
    h = make_harness(dovecot)
    seen: list[str] = []
    lost: list[object] = []
    watcher = Watcher(h.account, h.connect, seen.append, lost.append, "INBOX")
    watcher.start()
    try:
        assert watcher.idling.wait(10)
        assert seen == ["INBOX"]  # the one look when it starts (the next test's)
        seen.clear()
        dovecot.deliver(h.user, message(1))
        deadline = time.monotonic() + 2.0  # the bound, used as the wait limit
        while time.monotonic() < deadline and "INBOX" not in seen:
            time.sleep(0.05)
    finally:
        watcher.stop()
    assert "INBOX" in seen
    assert lost == []


def test_a_watcher_looks_once_when_it_starts_for_mail_that_came_before_idle_listened(
        dovecot, make_harness, message):
    """The sync that brings the watcher is done before the watcher's connection has selected
    the folder (a login, a token to renew: seconds on a busy machine); mail delivered in
    between is in no IDLE answer, and waited for the next scheduled sync (CI saw it)."""
    h = make_harness(dovecot)
    dovecot.deliver(h.user, message(1))  # after "the sync", before the watcher listens
    seen: list[str] = []
    watcher = Watcher(h.account, h.connect, seen.append, lambda error: None, "INBOX")
    watcher.start()
    try:
        assert watcher.idling.wait(10)
        time.sleep(0.5)  # an IDLE answer, if one came, would be in by now
    finally:
        watcher.stop()
    assert seen == ["INBOX"]


def test_status_polling_reports_changes_in_other_folders(dovecot, make_harness, message):
    h = make_harness(dovecot)
    seen: list[str] = []
    watcher = Watcher(h.account, h.connect, seen.append, lambda error: None, "INBOX",
                      ["Archive"], poll_seconds=0.2)
    watcher.start()
    try:
        assert watcher.idling.wait(10)
        time.sleep(0.5)  # let one STATUS round remember the folder as it was
        other = h.other_client()
        try:
            other.append("Archive", message(2))
        finally:
            other.close()
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline and "Archive" not in seen:
            time.sleep(0.05)
    finally:
        watcher.stop()
    assert "Archive" in seen


def test_a_server_without_idle_is_not_watched_and_not_retried(dovecot, make_harness):
    h = make_harness(dovecot)
    seen: list[object] = []
    connects: list[int] = []

    def connect_without_idle():
        backend = h.connect()
        backend.capabilities = backend.capabilities - {"IDLE"}
        connects.append(1)
        return backend

    watcher = Watcher(h.account, connect_without_idle, seen.append, seen.append, "INBOX")
    watcher.start()
    deadline = time.monotonic() + 10
    while watcher.running and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not watcher.running and watcher.gave_up
    assert connects == [1] and seen == []


def test_a_watcher_whose_server_goes_away_says_so_and_ends(own_dovecot, make_harness):
    """Reconnecting is its owner's work (the account's worker retries the server and starts a
    new watcher): the watcher reports the loss once and ends, without hammering the server."""
    h = make_harness(own_dovecot)
    changed: list[str] = []
    lost: list[object] = []
    watcher = Watcher(h.account, h.connect, changed.append, lost.append, "INBOX")
    watcher.start()
    try:
        assert watcher.idling.wait(10)
        own_dovecot.stop()
        deadline = time.monotonic() + 10
        while watcher.running and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        watcher.stop()
        own_dovecot.start()
    assert not watcher.running
    assert len(lost) == 1 and isinstance(lost[0], ConnectError), lost
    assert not watcher.gave_up


def test_idle_over_a_plain_connection_reports_new_mail_not_a_lost_connection(
        dovecot_variant, message) -> None:
    """Without TLS, a socket with nothing more to read looks to imaplib like one the server
    closed ("EOF"): new mail must still be news, not an outage."""
    from tui_mail.model import Account, Address, Protocol, Security, ServerConfig
    from tui_mail.remote.connection import Credentials
    from tui_mail.remote.imap import ImapBackend

    server = dovecot_variant(settings={"ssl": "no", "disable_plaintext_auth": "no"})
    user = server.new_user()
    config = ServerConfig(Protocol.IMAP, "127.0.0.1", server.ports.imap_starttls,
                          Security.NONE, user.login, timeout=10.0)
    account = Account(name="plain", address=Address("", user.address), incoming=config,
                      smtp=None)
    changed: list[str] = []
    lost: list[object] = []
    watcher = Watcher(account, lambda: ImapBackend.open(
        config, Credentials(user.login, password=user.password)), changed.append, lost.append)
    watcher.start()
    try:
        assert watcher.idling.wait(10)
        server.deliver(user, message(1))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not changed and not lost:
            time.sleep(0.05)
        assert changed == ["INBOX"] and lost == []
        assert watcher.running
    finally:
        watcher.stop()
