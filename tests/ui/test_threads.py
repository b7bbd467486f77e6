"""The threaded view: read by a worker, folded and unfolded, kept current as mail arrives."""

from __future__ import annotations

from datetime import timedelta

from tests.support.cache import NOW, plain_message
from tests.support.pilot import screen_text, settle, subjects
from tui_mail.model import Flags
from tui_mail.store.db import Store
from tui_mail.store.types import NewMessage
from tui_mail.sync.events import FolderChanged
from tui_mail.ui.screens.mailbox import RETHREAD_DELAY
from tui_mail.ui.screens.sources import ThreadRows
from tui_mail.ui.widgets.message_list import MessageList, markers


async def threaded(pilot) -> MessageList:
    """The list, switched to the threaded view once its order has been read."""
    await settle(pilot)
    message_list = pilot.app.query_one(MessageList)
    await pilot.press("T")
    await settle(pilot)
    assert isinstance(message_list.source, ThreadRows)
    return message_list


async def test_z_folds_the_thread_under_the_cursor_to_its_first_message_and_unfolds_it(make_app):
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        message_list = await threaded(pilot)
        total = message_list.row_count
        rows = subjects(message_list)
        reply = rows.index("Message number 00 about topic 0")
        assert rows[reply - 1] == "Message number 01 about topic 1"
        message_list.cursor = reply  # on the reply: folding goes to the thread's first message
        await pilot.press("z")
        await settle(pilot)
        assert message_list.row_count == total - 1
        assert message_list.selected.subject == "Message number 01 about topic 1"
        assert message_list.selected.folded == 1
        # 01 is read, the hidden 00 is not: the folded thread shows as unread.
        assert message_list.selected.flags.seen and message_list.selected.folded_unread == 1
        assert markers(message_list.selected).startswith("●")
        assert "▸2 Message number 01" in screen_text(app)
        assert "Message number 00" not in subjects(message_list)
        await pilot.press("z")
        await settle(pilot)
        assert subjects(message_list) == rows
        assert message_list.selected.subject == "Message number 01 about topic 1"


async def test_shift_z_folds_every_thread_and_unfolds_them_all(make_app):
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        message_list = await threaded(pilot)
        rows = subjects(message_list)
        await pilot.press("Z")
        await settle(pilot)
        assert len(subjects(message_list)) == len(rows) - 1
        await pilot.press("Z")
        await settle(pilot)
        assert subjects(message_list) == rows


async def test_folding_outside_the_threaded_view_says_how_to_get_there(make_app):
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("z")
        await settle(pilot)
        assert any("press T" in n.message for n in app.notified)


async def test_a_reply_arriving_while_threaded_is_threaded_under_its_parent(make_app, cache_path):
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        message_list = await threaded(pilot)
        chosen = message_list.selected.id
        writer = Store.open(cache_path)
        writer.add_messages("work", "INBOX", [NewMessage(uid=7000, flags=Flags(), raw=plain_message(
            "Re: Message number 05 about topic 0", "New <new@example.com>",
            NOW + timedelta(minutes=1), "a reply", message_id="<reply5@example.com>",
            in_reply_to="<m5@example.com>"))])
        writer.close()
        app.report_sync_event(FolderChanged("work", "INBOX"))
        await pilot.pause(RETHREAD_DELAY + 0.1)  # the order is read again once changes pause
        await settle(pilot)
        rows = subjects(message_list)
        parent = rows.index("Message number 05 about topic 0")
        assert rows[parent + 1] == "Re: Message number 05 about topic 0"
        assert message_list.summary_at(parent + 1).depth == 1
        assert parent == 0  # the thread with the newest message comes first
        assert message_list.selected.id == chosen


async def test_sorting_by_sender_in_the_threaded_view_orders_the_threads_by_sender(make_app):
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        message_list = app.query_one(MessageList)
        await pilot.press("T", "o", "o")
        await settle(pilot)
        assert isinstance(message_list.source, ThreadRows)
        firsts = [message_list.summary_at(i) for i in range(message_list.row_count)
                  if message_list.summary_at(i).depth == 0]
        senders = [s.sender.display().casefold() for s in firsts]
        assert senders == sorted(senders)
        assert "by sender · threads" in screen_text(app)


async def test_an_empty_folder_threads_and_folds_without_trouble(make_app):
    from tui_mail.ui.widgets.folder_tree import FolderChoice

    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        message_list = await threaded(pilot)
        app.screen.choose(FolderChoice("work", "Drafts", "work: Drafts"))
        await settle(pilot)
        assert isinstance(message_list.source, ThreadRows) and message_list.row_count == 0
        await pilot.press("Z", "z")
        await settle(pilot)
        assert app.is_running and "threading…" not in screen_text(app)


async def test_tags_stay_on_their_messages_when_the_threads_are_read_again(make_app):
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        message_list = await threaded(pilot)
        await pilot.press("t", "t")
        tagged = {s.id for s in message_list.tagged}
        assert len(tagged) == 2
        app.report_sync_event(FolderChanged("work", "INBOX"))
        await pilot.pause(RETHREAD_DELAY + 0.1)
        await settle(pilot)
        assert {s.id for s in message_list.tagged} == tagged


async def test_a_deleted_message_leaves_the_threaded_list_at_once_and_undo_brings_it_back(
        make_app):
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        message_list = await threaded(pilot)
        rows = subjects(message_list)
        await pilot.press("j")
        gone = message_list.selected.subject
        await pilot.press("d")
        await settle(pilot)
        assert gone not in subjects(message_list)
        assert message_list.selected.subject == rows[2]  # the next one
        await pilot.press("u")
        await pilot.pause(RETHREAD_DELAY + 0.1)
        await settle(pilot)
        assert subjects(message_list) == rows


async def test_n_stops_at_a_folded_thread_with_unread_messages_inside(make_app):
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        message_list = await threaded(pilot)
        await pilot.press("Z")
        await settle(pilot)
        folded = next(i for i in range(message_list.row_count)
                      if message_list.summary_at(i).folded_unread)
        assert message_list.summary_at(folded).flags.seen  # only a hidden message is unread
        message_list.cursor = 0
        while message_list.cursor < folded:
            await pilot.press("n")
            await settle(pilot)
        assert message_list.cursor == folded


async def test_the_status_line_counts_messages_and_the_rows_folding_leaves(make_app):
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        message_list = await threaded(pilot)
        total = message_list.row_count
        await pilot.press("Z")
        await settle(pilot)
        assert f"{total} messages, {total - 1} rows shown" in screen_text(app)
