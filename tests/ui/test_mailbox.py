"""The main screen: layout at each width, folders, list keys, sorting, threads, live updates."""

from __future__ import annotations

from datetime import timedelta

from tests.support import app as support
from tests.support.cache import NOW, plain_message
from tests.support.pilot import screen_text, settle
from tui_mail.model import Flags
from tui_mail.store.db import Store
from tui_mail.store.types import NewMessage
from tui_mail.sync.events import FolderChanged, SyncError, SyncProgress
from tui_mail.ui.screens.mailbox import MailboxScreen
from tui_mail.ui.screens.message import MessageScreen
from tui_mail.ui.widgets.folder_tree import FolderChoice, FolderTree
from tui_mail.ui.widgets.message_list import MessageList
from tui_mail.ui.widgets.message_view import MessageView


async def test_wide_terminal_shows_folders_list_and_preview(make_app):
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, MailboxScreen)
        assert app.query_one(FolderTree).region.width > 0
        assert app.query_one("#preview", MessageView).region.width > 0
        assert isinstance(app.focused, MessageList)
        text = screen_text(app)
        assert "All inboxes" in text
        assert "Inbox" in text or "INBOX" in text
        # The preview shows the selected (newest) message.
        newest = app.query_one(MessageList).selected
        assert newest is not None
        assert app.query_one("#preview", MessageView).summary.id == newest.id


async def test_narrow_terminal_shows_only_the_list_and_enter_opens_the_message(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.query_one(FolderTree).region.width == 0
        assert app.query_one("#preview", MessageView).region.width == 0
        assert app.query_one(MessageList).region.width >= 78
        await pilot.press("j", "enter")
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
        assert "Hello," in screen_text(app)
        await pilot.press("q")
        await settle(pilot)
        assert isinstance(app.screen, MailboxScreen)
        assert app.query_one(MessageList).cursor == 1


async def test_special_folders_come_first_with_unread_counts(make_app):
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        order = [text.index(name) for name in ("INBOX", "Drafts", "Sent", "Archive", "Junk",
                                                "Trash", "Lists")]
        assert order == sorted(order)
        inbox_line = next(line for line in text.splitlines() if "▣ INBOX" in line)
        assert any(ch.isdigit() for ch in inbox_line.split("INBOX", 1)[1][:6])


async def test_choosing_a_folder_shows_its_messages(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        tree = app.query_one(FolderTree)
        assert tree.has_focus
        node = tree.choice_node(FolderChoice("work", "Lists/python", "python"))
        assert node is not None
        tree.move_cursor(node)
        await pilot.press("enter")
        await settle(pilot)
        message_list = app.query_one(MessageList)
        assert message_list.has_focus
        assert message_list.row_count == 1
        assert "[Python-Dev] PEP 999" in screen_text(app)
        assert app.screen.status.note.endswith("· 1 message")


async def test_list_keys_move_the_cursor(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        message_list = app.query_one(MessageList)
        last = message_list.row_count - 1
        await pilot.press("j", "j", "down")
        assert message_list.cursor == 3
        await pilot.press("k")
        assert message_list.cursor == 2
        await pilot.press("G")
        assert message_list.cursor == last
        await pilot.press("g", "g")
        assert message_list.cursor == 0
        await pilot.press("end")
        assert message_list.cursor == last
        await pilot.press("home")
        assert message_list.cursor == 0
        await pilot.press("pagedown")
        assert message_list.cursor == message_list.size.height - 1
        await pilot.press("pageup")
        assert message_list.cursor == 0


async def test_n_and_shift_n_go_to_unread_messages(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        message_list = app.query_one(MessageList)
        await pilot.press("n")
        row = message_list.cursor
        assert row > 0
        assert not message_list.selected.flags.seen
        await pilot.press("n")
        assert message_list.cursor > row
        assert not message_list.selected.flags.seen
        await pilot.press("N")
        assert message_list.cursor == row


async def test_sort_cycle_and_threads_keep_the_selected_message(make_app):
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        message_list = app.query_one(MessageList)
        await pilot.press("j", "j", "j")
        chosen = message_list.selected.id
        await pilot.press("o")
        await settle(pilot)
        assert message_list.selected.id == chosen
        dates = [message_list.summary_at(i).date for i in range(message_list.row_count)]
        assert dates == sorted(dates)
        assert "oldest first" in screen_text(app)
        await pilot.press("o")
        await settle(pilot)
        assert message_list.selected.id == chosen
        senders = [message_list.summary_at(i).sender.display().casefold()
                   for i in range(message_list.row_count)]
        assert senders == sorted(senders)
        assert "by sender" in screen_text(app)
        await pilot.press("o", "o")  # back to date order, newest first
        assert "newest first" in screen_text(app)
        await pilot.press("T")
        await settle(pilot)
        assert message_list.threaded
        assert message_list.selected.id == chosen
        text = screen_text(app)
        assert "threads" in text
        assert "└ Message number 00" in text  # the reply is indented under its parent


async def test_new_mail_keeps_the_selection_on_the_same_message(make_app, cache_path):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        message_list = app.query_one(MessageList)
        await pilot.press("j", "j")
        chosen = message_list.selected.id
        before = message_list.row_count
        writer = Store.open(cache_path)
        writer.add_messages("work", "INBOX", [
            NewMessage(uid=5000 + i, flags=Flags(), raw=plain_message(
                f"Fresh {i}", "New <new@example.com>", NOW + timedelta(minutes=i), "new"))
            for i in range(3)])
        writer.close()
        app.report_sync_event(FolderChanged("work", "INBOX"))
        await settle(pilot)
        assert message_list.row_count == before + 3
        assert message_list.selected.id == chosen
        assert message_list.cursor == 5


async def test_status_line_shows_sync_progress_and_errors(make_app):
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert "work: offline" in screen_text(app)
        app.report_sync_event(SyncProgress("work", "INBOX", 3, 10))
        await settle(pilot)
        assert "work: syncing 3/10" in screen_text(app)
        app.report_sync_event(SyncError("work", "imap.example.com refused the login [bold]"))
        await settle(pilot)
        assert "refused the login [bold]" in screen_text(app)
        assert app.is_running


async def test_tab_moves_between_visible_panes(make_app):
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("tab")
        assert isinstance(app.focused, MessageView)
        await pilot.press("tab")
        assert isinstance(app.focused, FolderTree)
        await pilot.press("tab")
        assert isinstance(app.focused, MessageList)


async def test_q_quits_from_the_mailbox(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


async def test_a_click_selects_a_row_and_a_double_click_opens_it(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        message_list = app.screen.query_one(MessageList)
        await pilot.click(MessageList, offset=(30, 4))
        assert message_list.cursor == 4
        await pilot.double_click(MessageList, offset=(30, 2))
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
        assert message_list.cursor == 2


async def test_sync_events_from_a_worker_thread_reach_the_status_line(make_app):
    import threading

    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        thread = threading.Thread(
            target=app.report_sync_event, args=(SyncProgress("home", "INBOX", 1, 4),))
        thread.start()
        thread.join()
        await settle(pilot)
        assert "home: syncing 1/4" in screen_text(app)


async def test_the_demo_account_opens_offline(tmp_path):
    from tui_mail.demo.builder import build_demo_cache

    path = build_demo_cache(tmp_path / "demo.sqlite3")
    app = support.make_app(path, demo=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        message_list = app.screen.query_one(MessageList)
        assert message_list.row_count > 0
        assert "demo: offline" in screen_text(app)
        await pilot.press("dollar_sign")  # nothing to sync: says so, stays offline
        await settle(pilot)
        assert app.is_running


async def test_the_folder_pane_cursor_stays_put_when_counts_change(make_app, cache_path):
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        tree = app.query_one(FolderTree)
        await pilot.press("c")  # to the folder pane
        assert tree.has_focus
        for _ in range(6):
            await pilot.press("j")
            if tree.cursor_node.data is not None and tree.cursor_node.data.folder == "Drafts":
                break
        before = tree.cursor_node.data
        assert before is not None and before.folder == "Drafts"
        app.report_sync_event(FolderChanged("work", "INBOX"))  # unread counts re-read
        await settle(pilot)
        assert tree.cursor_node.data == before


async def test_the_same_sync_error_again_is_notified_once_but_stays_in_the_status_line(make_app):
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        for _ in range(3):  # say, three periodic syncs while offline
            app.report_sync_event(SyncError("work", "imap.example.com: connection refused"))
            await settle(pilot)
        app.report_sync_event(SyncError("work", "imap.example.com: login refused"))
        await settle(pilot)
        told = [n.message for n in app.notified]
        assert told == ["imap.example.com: connection refused", "imap.example.com: login refused"]
        assert "login refused" in screen_text(app)


async def test_the_mouse_wheel_scrolls_the_list_and_a_click_in_the_folder_pane_chooses(make_app):
    from textual.events import MouseScrollDown

    app = make_app()
    async with app.run_test(size=(160, 24)) as pilot:
        await settle(pilot)
        message_list = app.screen.query_one(MessageList)
        assert message_list.scroll_offset.y == 0
        for _ in range(3):
            await pilot._post_mouse_events([MouseScrollDown], MessageList, offset=(30, 5))  # noqa: SLF001
        await settle(pilot)
        assert message_list.scroll_offset.y > 0
        tree = app.query_one(FolderTree)
        line = next(i for i in range(tree.last_line + 1) if tree.get_node_at_line(i).data
                    and tree.get_node_at_line(i).data.folder == "Lists/python")
        await pilot.click(FolderTree, offset=(6, line - tree.scroll_offset.y))
        await settle(pilot)
        assert app.screen.state.choice.folder == "Lists/python"
        assert [message_list.summary_at(0).subject] == ["[Python-Dev] PEP 999"]


async def test_escape_closes_the_folder_pane_over_the_list_in_a_narrow_window(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert app.query_one(FolderTree).has_focus
        assert app.query_one("#folders").region.width == 80  # the whole width, none left blank
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.focused, MessageList)
        assert app.query_one(MessageList).region.width >= 78
        await pilot.press("escape")  # nothing left to close: nothing happens
        assert app.is_running


async def test_the_status_line_says_what_waits_in_the_outbox_and_what_is_held(
        make_app) -> None:
    from tui_mail.sync.events import ConnectionState, OutboxStatus

    app = make_app()
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot)
        assert "outbox" not in screen_text(app)
        app.report_sync_event(OutboxStatus(2, 1))
        app.report_sync_event(ConnectionState(
            "work", False, "imap://imap.example.com:993 (tls): connection refused", 5.0))
        await settle(pilot)
        text = screen_text(app)
        assert "outbox: 2 waiting, 1 held" in text
        assert "work: offline, retrying (connection refused)" in text
        app.report_sync_event(OutboxStatus(0, 0))
        app.report_sync_event(ConnectionState("work", True))
        await settle(pilot)
        assert "outbox" not in screen_text(app)
        assert "work: online" in screen_text(app)
