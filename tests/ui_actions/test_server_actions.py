"""Actions on a cache filled by a real sync: the cache changes at once, the queue reaches the
server when replayed, undo works while the action is still queued."""

from __future__ import annotations

import pytest

from tests.support.pilot import notifications, screen_text, settle, subjects
from tests.support.synced import pending, server_messages
from tui_mail.ui.screens.folder_picker import FolderPicker
from tui_mail.ui.widgets.message_list import MessageList

pytestmark = pytest.mark.servers


async def pick(pilot, query: str) -> None:
    await settle(pilot)
    assert isinstance(pilot.app.screen, FolderPicker)
    await pilot.press(*query)
    await pilot.press("enter")
    await settle(pilot)


async def test_three_tagged_messages_move_through_the_picker_and_reach_the_server(synced):
    app = synced.app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        message_list = app.screen.query_one(MessageList)
        before = subjects(message_list)
        assert len(before) == 5
        await pilot.press("t", "t", "space")  # tag a row and move on, three times
        await settle(pilot)
        assert "3 tagged" in screen_text(app)
        assert screen_text(app).count("*") >= 3
        await pilot.press("s")
        await pick(pilot, "arcv")  # fuzzy: Archive
        moved = before[:3]
        assert subjects(message_list) == before[3:]
        assert message_list.tagged == []
        assert "3 tagged" not in screen_text(app)
        assert [a.kind for a in pending(synced)] == ["move"]

        app.replay_now()
        await settle(pilot)
        assert pending(synced) == []
        assert set(server_messages(synced, "Archive")) == set(moved)
        assert set(server_messages(synced, "INBOX")) == set(before[3:])


async def test_read_flag_delete_and_archive_reach_the_server(synced):
    app = synced.app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        message_list = app.screen.query_one(MessageList)
        first, second, third = subjects(message_list)[:3]
        assert not message_list.selected.flags.seen
        await pilot.press("U", "F")
        await settle(pilot)
        assert message_list.selected.flags.seen and message_list.selected.flags.flagged
        await pilot.press("j", "d")  # second -> Trash; the cursor goes to the next one
        await settle(pilot)
        assert message_list.selected.subject == third
        await pilot.press("A")  # third -> Archive
        await settle(pilot)
        assert first in subjects(message_list)
        assert second not in subjects(message_list) and third not in subjects(message_list)

        app.replay_now()
        await settle(pilot)
        inbox = server_messages(synced, "INBOX")
        assert {b"\\Seen", b"\\Flagged"} <= inbox[first]
        assert second in server_messages(synced, "Trash")
        assert third in server_messages(synced, "Archive")
        assert second not in inbox and third not in inbox


async def test_undo_of_a_pending_move_restores_the_row_and_drops_the_queued_action(synced):
    app = synced.app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        message_list = app.screen.query_one(MessageList)
        before = subjects(message_list)
        chosen = message_list.selected
        await pilot.press("s")
        await pick(pilot, "trash")
        assert chosen.subject not in subjects(message_list)
        assert len(pending(synced)) == 1
        await pilot.press("u")
        await settle(pilot)
        assert subjects(message_list) == before
        assert message_list.selected.id == chosen.id
        assert pending(synced) == []
        with synced.store() as store:
            row = store.message_row(chosen.id)
        assert (row.folder, row.uid) == ("INBOX", chosen.uid)  # its server copy again

        app.replay_now()  # nothing queued: the server keeps the message in INBOX
        await settle(pilot)
        assert chosen.subject in server_messages(synced, "INBOX")


async def test_undo_after_the_replay_says_the_server_has_it(synced):
    app = synced.app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("F")
        app.replay_now()
        for _ in range(200):  # until the replay has emptied the queue (a loaded machine: seconds)
            await settle(pilot)
            if not pending(synced):
                break
        assert pending(synced) == []
        await pilot.press("u")
        await settle(pilot)
        assert any("already reached the server" in text for text in notifications(app))


async def test_queued_actions_are_sent_by_themselves_after_a_moment(synced):
    app = synced.app()
    app.replay_delay = 0.05
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        subject = app.screen.query_one(MessageList).selected.subject
        await pilot.press("F")
        await pilot.pause(0.3)
        await settle(pilot)
        assert pending(synced) == []
        assert b"\\Flagged" in server_messages(synced, "INBOX")[subject]
