"""What a sync asks the server, counted on the wire (the suite's Dovecot, every command the
client sends recorded), and what it writes: the cheap ways of finding out what changed are
the ones taken, and finding nothing costs nothing in the cache."""

from __future__ import annotations

from typing import Any

import pytest

from tui_mail.remote.imap import ImapBackend

pytestmark = pytest.mark.servers


class Recorded:
    """Connects like the harness and records each command line sent (without its tag)."""

    def __init__(self, harness: Any) -> None:
        self.harness = harness
        self.sent: list[str] = []

    def __call__(self) -> ImapBackend:
        backend = self.harness.connect()
        imap = backend._client._imap
        send = imap.send

        def recorded(data: bytes) -> Any:  # noqa: ANN401
            for line in bytes(data).decode("ascii", "replace").splitlines():
                _, _, command = line.partition(" ")
                if command:
                    self.sent.append(command)
            return send(data)

        imap.send = recorded
        return backend


def _sync(h: Any, folders: list[str] | None) -> tuple[Any, list[str]]:  # noqa: ANN401
    from tui_mail.sync.engine import SyncEngine

    recorded = Recorded(h)
    engine = SyncEngine(h.account, h.store, recorded, h.events.append, backoff=0.05)
    try:
        return engine.sync(folders), recorded.sent
    finally:
        engine.close()


def test_the_first_sync_of_a_folder_lists_its_uids_by_search_not_every_flag(
        dovecot, make_harness, message) -> None:
    h = make_harness(dovecot)
    dovecot.deliver_many(h.user, [message(i) for i in range(30)])
    result, sent = _sync(h, ["INBOX"])
    assert result.ok and result.new == 30
    assert not [c for c in sent if c.startswith("UID FETCH 1:*")]
    assert [c for c in sent if c.startswith("UID SEARCH")]
    flags = h.store.uid_flags(h.account.name, "INBOX")
    assert len(flags) == 30  # and each message's flags came with its summary


def test_a_sync_that_finds_nothing_new_sends_one_examine_per_folder_and_writes_nothing(
        dovecot, make_harness, message) -> None:
    h = make_harness(dovecot)
    dovecot.deliver_many(h.user, [message(i) for i in range(30)])
    assert _sync(h, None)[0].ok
    changes = h.store._conn.total_changes
    result, sent = _sync(h, None)  # every folder
    assert result.ok and (result.new, result.flag_changes, result.vanished) == (0, 0, 0)
    # No write: closing the cache then has no journal to checkpoint (an fsync or two).
    assert h.store._conn.total_changes == changes
    examined = [c for c in sent if c.startswith("EXAMINE")]
    assert len(examined) == result.folders > 1
    assert [c for c in sent if not c.startswith(("CAPABILITY", "LOGIN", "ENABLE", "LIST",
                                                 "NAMESPACE", "LSUB", "EXAMINE", "LOGOUT"))] == []
