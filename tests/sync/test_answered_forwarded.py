"""After a reply or forward is accepted, the app marks the original \\Answered or $Forwarded
through the action queue: the cache shows it at once, offline too, and the replay sets the
flag on the server. Against the suite's real Dovecot."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import imapclient
import pytest

from tests.servers.dovecot import Dovecot
from tests.support.cache import cached_row
from tests.support.sync_harness import Harness
from tui_mail.model import Flags
from tui_mail.remote.connection import ssl_context
from tui_mail.sync.actions import ActionQueue, UndoOutcome

pytestmark = pytest.mark.servers


def _server_flags(h: Harness, folder: str = "INBOX") -> dict[str, set[bytes]]:
    """Subject -> flags (but \\Recent) of every message in a server folder."""
    client = imapclient.IMAPClient("127.0.0.1", port=h.config.port, ssl=True,
                                   ssl_context=ssl_context(h.config), timeout=20)
    try:
        client.login(h.user.login, h.user.password)
        client.select_folder(folder, readonly=True)
        found = client.fetch(client.search("ALL"), ["FLAGS", "BODY.PEEK[HEADER.FIELDS (SUBJECT)]"])
        return {
            data[b"BODY[HEADER.FIELDS (SUBJECT)]"].decode().strip().removeprefix("Subject: "):
                set(data[b"FLAGS"]) - {b"\\Recent"}
            for data in found.values()
        }
    finally:
        client.logout()


def test_answered_and_forwarded_marks_show_at_once_offline_and_reach_the_server(
    own_dovecot: Dovecot, make_harness: Callable[[Dovecot], Harness],
    message: Callable[..., bytes],
) -> None:
    h = make_harness(own_dovecot)
    own_dovecot.deliver_many(h.user, [message(i) for i in range(3)])
    assert h.sync(["INBOX"]).ok
    queue = ActionQueue(h.store, h.account)
    answered = queue.rows_with_message_id("<m0@example.test>")
    forwarded = queue.rows_with_message_id("m1@example.test")  # brackets are optional

    own_dovecot.stop()
    assert queue.mark_answered(answered) is not None
    assert queue.mark_forwarded(forwarded) is not None
    assert cached_row(h.store, answered[0]).flags == Flags(answered=True)
    assert cached_row(h.store, forwarded[0]).flags == Flags(forwarded=True)
    offline = h.engine(retries=0)
    try:
        assert queue.replay(offline).pending == 2
    finally:
        offline.close()

    own_dovecot.start()
    engine = h.engine()
    try:
        result = queue.replay(engine)
    finally:
        engine.close()

    assert (result.done, result.failed) == (2, 0)
    assert _server_flags(h) == {
        "message 0": {b"\\Answered"}, "message 1": {b"$Forwarded"}, "message 2": set(),
    }
    assert h.sync(["INBOX"]).ok  # and a sync reads them back as the same marks
    flags = {cached_row(h.store, r).subject: cached_row(h.store, r).flags
             for r in (*answered, *forwarded)}
    assert flags == {"message 0": Flags(answered=True), "message 1": Flags(forwarded=True)}


def test_rows_with_a_message_id_are_found_in_every_folder_of_the_account(
    dovecot: Dovecot, make_harness: Callable[[Dovecot], Harness],
    message: Callable[..., bytes],
) -> None:
    h = make_harness(dovecot)
    dovecot.deliver_many(h.user, [message(1), message(2)])
    dovecot.deliver_many(h.user, [message(1)], "Archive")
    assert h.sync(None).ok
    queue = ActionQueue(h.store, h.account)

    rows = queue.rows_with_message_id("<m1@example.test>")

    assert sorted(cached_row(h.store, r).folder for r in rows) == ["Archive", "INBOX"]
    assert queue.rows_with_message_id("<nobody@example.test>") == []
    assert queue.rows_with_message_id("") == []
    other = ActionQueue(h.store, replace(h.account, name="other"))
    assert other.rows_with_message_id("<m1@example.test>") == []


def test_an_answered_mark_can_be_undone_before_it_is_sent(
    dovecot: Dovecot, make_harness: Callable[[Dovecot], Harness],
    message: Callable[..., bytes],
) -> None:
    h = make_harness(dovecot)
    dovecot.deliver_many(h.user, [message(1)])
    assert h.sync(["INBOX"]).ok
    queue = ActionQueue(h.store, h.account)
    rows = queue.rows_with_message_id("<m1@example.test>")

    group = queue.mark_answered(rows)
    assert queue.undo_last(group) is UndoOutcome.UNDONE

    assert cached_row(h.store, rows[0]).flags == Flags()
    assert queue.pending() == []
