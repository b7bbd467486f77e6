"""Queued actions name their messages by UID under the folder's UIDVALIDITY and by Message-ID:
when the folder was recreated on the server before the replay, the old UIDs are not trusted.
Messages found again by Message-ID get the action; the rest are left out, and the user is told.
Against the suite's real Dovecot."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

import imapclient
import pytest

from tests.servers.dovecot import Dovecot
from tests.support.sync_harness import Harness
from tui_mail.remote.connection import ssl_context
from tui_mail.store import View
from tui_mail.sync.actions import ActionQueue

pytestmark = pytest.mark.servers

FOLDER = "Projects"


def _rows(h: Harness, folder: str = FOLDER) -> list[int]:
    uids = h.cached_uids(folder)
    ids = h.store.ids_for_uids(h.account.name, folder, uids)
    return [ids[u] for u in uids]


def _server(h: Harness, folder: str) -> dict[str, set[bytes]]:
    """Subject -> flags (but \\Recent) of every message in a server folder, read by a separate
    client."""
    client = imapclient.IMAPClient("127.0.0.1", port=h.config.port, ssl=True,
                                   ssl_context=ssl_context(h.config), timeout=20)
    try:
        client.login(h.user.login, h.user.password)
        client.select_folder(folder, readonly=True)
        found = client.fetch(client.search("ALL"), ["FLAGS", "BODY.PEEK[HEADER.FIELDS (SUBJECT)]"])
        return {
            data[b"BODY[HEADER.FIELDS (SUBJECT)]"].decode().strip().removeprefix("Subject: "):
                set(data[b"FLAGS"]) - {b"\\Recent"}  # \Recent: depends on who looked first
            for data in found.values()
        }
    finally:
        client.logout()


def _recreate(server: Dovecot, h: Harness, folder: str, messages: list[bytes]) -> None:
    """Delete the folder on the server, create it again (a new UIDVALIDITY) and deliver
    `messages` into it, which get UIDs from 1 again."""
    login = h.user.login
    server.doveadm("mailbox", "delete", "-u", login, folder)
    server.doveadm("mailbox", "create", "-s", "-u", login, folder)
    server.doveadm("mailbox", "status", "-u", login, "messages", folder)  # makes the Maildir
    server.deliver_many(h.user, messages, folder)


def _replay(h: Harness, queue: ActionQueue):  # noqa: ANN202 - ReplayResult
    engine = h.engine()
    try:
        return queue.replay(engine)
    finally:
        engine.close()


def _placeholders(h: Harness, folder: str) -> int:
    """Cached rows of a folder (after a replay, only local placeholders are left there)."""
    found = h.store.folder(h.account.name, folder)
    return h.store.listing.count(View.of(found)) if found else 0


def test_queued_actions_in_a_recreated_folder_leave_the_messages_now_there_alone(
    dovecot: Dovecot, make_harness: Callable[[Dovecot], Harness],
    message: Callable[..., bytes],
) -> None:
    h = make_harness(dovecot)
    dovecot.deliver_many(h.user, [message(i) for i in range(4)], FOLDER)
    assert h.sync(None).ok
    old_uids = dovecot.uids(h.user, FOLDER)
    first, second, third, fourth = _rows(h)
    queue = ActionQueue(h.store, h.account)
    queue.delete([first, second])
    queue.archive([third])
    queue.mark_read([fourth])
    delete_entry = queue.pending()[0].payload  # type: ignore[attr-defined]
    assert delete_entry["uidvalidity"] == h.store.sync_state(h.account.name, FOLDER).uidvalidity
    assert delete_entry["message_ids"] == ["<m0@example.test>", "<m1@example.test>"]

    strangers = [message(i, f"stranger {i}") for i in range(10, 14)]
    _recreate(dovecot, h, FOLDER, strangers)
    assert dovecot.uids(h.user, FOLDER) == old_uids  # the old UIDs now name other messages

    result = _replay(h, queue)

    assert (result.done, result.failed, result.pending) == (0, 3, 0)
    assert _server(h, FOLDER) == {f"stranger {i}": set() for i in range(10, 14)}
    assert dovecot.message_count(h.user, "Trash") == 0
    assert dovecot.message_count(h.user, "Archive") == 0
    recreated = "the folder was recreated on the server"
    assert result.dropped == [
        f"test: a queued delete of 2 messages in {FOLDER} was not sent: {recreated} and the"
        " messages are no longer there",
        f"test: a queued move to Archive of 1 message in {FOLDER} was not sent: {recreated}"
        " and the message is no longer there",
        f"test: a queued mark as read of 1 message in {FOLDER} was not sent: {recreated}"
        " and the message is no longer there",
    ]
    assert result.errors == []  # a warning for the user, not a refusal by the server
    failed = [f"test: {a.error}" for a in queue.failed()]  # type: ignore[attr-defined]
    assert failed == result.dropped
    assert queue.pending() == []
    # What the cache showed in Trash and Archive stood for copies that will never exist.
    assert _placeholders(h, "Trash") == 0 and _placeholders(h, "Archive") == 0


def test_queued_actions_reach_the_same_messages_delivered_again_to_the_recreated_folder(
    dovecot: Dovecot, make_harness: Callable[[Dovecot], Harness],
    message: Callable[..., bytes],
) -> None:
    h = make_harness(dovecot)
    dovecot.deliver_many(h.user, [message(i) for i in range(4)], FOLDER)
    assert h.sync(None).ok
    first, second, third, _ = _rows(h)
    queue = ActionQueue(h.store, h.account)
    queue.delete([first])
    queue.archive([second])
    queue.flag([third])

    # A stranger first, so that every old UID now names another message than before.
    _recreate(dovecot, h, FOLDER, [message(20, "stranger")] + [message(i) for i in range(4)])

    result = _replay(h, queue)

    assert (result.done, result.failed, result.dropped) == (3, 0, [])
    assert _server(h, "Trash") == {"message 0": set()}
    assert _server(h, "Archive") == {"message 1": set()}
    assert _server(h, FOLDER) == {
        "stranger": set(), "message 2": {b"\\Flagged"}, "message 3": set(),
    }


def test_only_the_messages_found_again_are_acted_on_and_the_rest_are_reported(
    dovecot: Dovecot, make_harness: Callable[[Dovecot], Harness],
    message: Callable[..., bytes],
) -> None:
    h = make_harness(dovecot)
    dovecot.deliver_many(h.user, [message(i) for i in range(3)], FOLDER)
    assert h.sync(None).ok
    first, second, _ = _rows(h)
    queue = ActionQueue(h.store, h.account)
    queue.delete([first, second])

    _recreate(dovecot, h, FOLDER, [message(30, "stranger"), message(1)])

    result = _replay(h, queue)

    assert (result.done, result.failed) == (1, 0)
    assert _server(h, "Trash") == {"message 1": set()}
    assert _server(h, FOLDER) == {"stranger": set()}
    assert result.dropped == [
        f"test: 1 of the 2 messages of a queued delete in {FOLDER} was left out: the folder"
        " was recreated on the server and the message is no longer there"
    ]


def test_the_folder_is_asked_for_its_uidvalidity_once_per_replay(
    dovecot: Dovecot, make_harness: Callable[[Dovecot], Harness],
    message: Callable[..., bytes],
) -> None:
    h = make_harness(dovecot)
    dovecot.deliver_many(h.user, [message(i) for i in range(3)], FOLDER)
    assert h.sync(None).ok
    rows = _rows(h)
    queue = ActionQueue(h.store, h.account)
    queue.mark_read(rows[:1])
    queue.flag(rows[1:2])
    queue.archive(rows[2:])
    backend = h.connect()
    asked: list[str] = []
    status = backend.status

    def counted_status(folder: str):  # noqa: ANN202 - FolderStatus
        asked.append(folder)
        return status(folder)

    backend.status = counted_status  # type: ignore[method-assign]
    try:
        result = queue.replay(SimpleNamespace(backend=backend))
    finally:
        backend.close()

    assert (result.done, result.failed) == (3, 0)
    assert asked == [FOLDER]


def test_an_entry_queued_before_uidvalidity_was_recorded_replays_by_uid(
    dovecot: Dovecot, make_harness: Callable[[Dovecot], Harness],
    message: Callable[..., bytes],
) -> None:
    h = make_harness(dovecot)
    dovecot.deliver_many(h.user, [message(i) for i in range(2)], FOLDER)
    assert h.sync(None).ok
    uids = dovecot.uids(h.user, FOLDER)
    h.store.queues.enqueue_action(h.account.name, "flags", {
        "folder": FOLDER, "uids": [uids[1]], "flag": "\\Flagged", "add": True,
    })

    result = _replay(h, ActionQueue(h.store, h.account))

    assert (result.done, result.failed, result.dropped) == (1, 0, [])
    assert _server(h, FOLDER) == {"message 0": set(), "message 1": {b"\\Flagged"}}


def test_a_message_without_a_message_id_is_not_guessed_at_in_a_recreated_folder(
    dovecot: Dovecot, make_harness: Callable[[Dovecot], Harness],
    message: Callable[..., bytes],
) -> None:
    h = make_harness(dovecot)
    anonymous = message(40).replace(b"Message-ID: <m40@example.test>\r\n", b"")
    dovecot.deliver_many(h.user, [anonymous], FOLDER)
    assert h.sync(None).ok
    queue = ActionQueue(h.store, h.account)
    queue.flag(_rows(h))

    _recreate(dovecot, h, FOLDER, [anonymous])  # the same bytes, nothing to know them by

    result = _replay(h, queue)

    assert (result.done, result.failed) == (0, 1)
    assert _server(h, FOLDER) == {"message 40": set()}
    assert result.dropped == [
        f"test: a queued flag of 1 message in {FOLDER} was not sent: the folder was recreated"
        " on the server and the message could not be looked for: it has no Message-ID to find"
        " it by"
    ]
