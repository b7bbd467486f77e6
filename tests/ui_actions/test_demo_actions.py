"""Actions on the demo account (no server): the cache changes directly, undo restores it."""

from __future__ import annotations

from dataclasses import replace

from tests.support.pilot import screen_text, settle
from tui_mail.ui.screens.folder_picker import FolderPicker, NewFolder, rank_folders
from tui_mail.ui.screens.message import MessageScreen
from tui_mail.ui.widgets.chord import CHORD_DELAY
from tui_mail.ui.widgets.message_list import MessageList


def folder_of(app, message_id: int) -> str:
    return app.store.message_row(message_id).folder


async def test_read_flag_delete_and_archive_change_the_cache(demo_app):
    app = demo_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        message_list = app.screen.query_one(MessageList)
        first = message_list.selected
        was_seen, was_flagged = first.flags.seen, first.flags.flagged
        await pilot.press("U", "F")
        await settle(pilot)
        row = app.store.message_row(first.id)
        assert (row.flags.seen, row.flags.flagged) == (not was_seen, not was_flagged)

        next_one = message_list.summary_at(1)
        await pilot.press("d")
        await settle(pilot)
        assert folder_of(app, first.id) == "Trash"
        assert message_list.selected.id == next_one.id  # the cursor goes to the next message

        await pilot.press("A")
        await settle(pilot)
        assert folder_of(app, next_one.id) == "Archive"

        await pilot.press("u")  # the archive is taken back
        await settle(pilot)
        assert folder_of(app, next_one.id) == "INBOX"
        assert message_list.selected.id == next_one.id


async def test_undo_takes_back_several_actions_newest_first(demo_app):
    app = demo_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        message_list = app.screen.query_one(MessageList)
        first = message_list.selected
        before = app.store.message_row(first.id)
        await pilot.press("F")  # flag
        await settle(pilot)
        await pilot.press("U")  # read/unread
        await settle(pilot)
        await pilot.press("A")  # archive
        await settle(pilot)
        after = app.store.message_row(first.id)
        assert after.folder == "Archive" and after.flags.flagged != before.flags.flagged

        await pilot.press("u")
        await settle(pilot)
        row = app.store.message_row(first.id)
        assert row.folder == "INBOX" and row.flags.seen == after.flags.seen
        assert "undo the one before" in app.notified[-1].message
        await pilot.press("u")
        await settle(pilot)
        row = app.store.message_row(first.id)
        assert row.flags.seen == before.flags.seen and row.flags.flagged == after.flags.flagged
        await pilot.press("u")
        await settle(pilot)
        assert app.store.message_row(first.id).flags == before.flags
        await pilot.press("u")
        await settle(pilot)
        assert "Nothing to undo." in app.notified[-1].message


async def test_actions_in_the_viewer_show_the_next_message(demo_app):
    app = demo_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        message_list = app.screen.query_one(MessageList)
        first, second = message_list.summary_at(0), message_list.summary_at(1)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
        await pilot.press("F")
        await settle(pilot)
        assert app.store.message_row(first.id).flags.flagged
        assert app.screen.current_summary().flags.flagged
        await pilot.press("s")
        await settle(pilot)
        await pilot.press(*"archive", "enter")
        await settle(pilot)
        assert folder_of(app, first.id) == "Archive"
        assert isinstance(app.screen, MessageScreen)
        assert app.screen.current_summary().id == second.id
        assert app.target_summaries() == [app.screen.current_summary()]


async def test_tags_select_the_targets_and_clear_after_the_action(demo_app):
    app = demo_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        message_list = app.screen.query_one(MessageList)
        ids = [message_list.summary_at(i).id for i in (0, 2)]
        await pilot.press("t", "j", "space")
        await settle(pilot)
        assert [s.id for s in app.target_summaries()] == ids
        assert "2 tagged" in screen_text(app)
        await pilot.press("t")  # the cursor row is not tagged: tags it (3 now), then untag
        await pilot.press("k", "t")
        await settle(pilot)
        assert [s.id for s in app.target_summaries()] == ids
        await pilot.press("d")
        await settle(pilot)
        assert [folder_of(app, i) for i in ids] == ["Trash", "Trash"]
        assert message_list.tagged == []
        assert "tagged" not in screen_text(app)


async def test_move_is_cancelled_with_escape(demo_app):
    app = demo_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        chosen = app.screen.query_one(MessageList).selected
        await pilot.press("C")  # copy needs a server: the picker opens, the copy is refused
        await settle(pilot)
        assert isinstance(app.screen, FolderPicker)
        await pilot.press("escape", "s")
        await settle(pilot)
        await pilot.press(*"zzzz")
        await settle(pilot)
        assert app.screen.shown == [NewFolder("zzzz")]  # no folder matches: only "create"
        await pilot.press("escape")
        await settle(pilot)
        assert folder_of(app, chosen.id) == "INBOX"


def test_folder_names_are_matched_fuzzily_best_first():
    folders = ["INBOX", "Archive", "Lists/python-dev", "Trash", "Lists/rust"]
    assert [f for f, _ in rank_folders("pyd", folders)] == ["Lists/python-dev"]
    assert [f for f, _ in rank_folders("", folders)] == folders
    assert [f for f, _ in rank_folders("ls", folders)] == ["Lists/python-dev", "Lists/rust"]


def test_folder_names_are_never_markup():
    name = "[bold]x[/]\x1b[2J"
    for query in ("", "b"):
        (folder, shown), = rank_folders(query, [name])
        assert folder == name  # the server's spelling is what gets moved to
        assert shown.plain == "[bold]x[/]"  # shown literally, escape sequence removed


async def test_a_lone_g_is_a_group_reply_and_g_g_goes_to_the_first(demo_app):
    app = demo_app()
    calls: list[str] = []
    app.action_reply_all = lambda: calls.append("reply_all")
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        message_list = app.screen.query_one(MessageList)
        await pilot.press("j", "j", "g")
        # a second g after a pause still counts (vim waits a second too); the pause is kept
        # short of CHORD_DELAY by a wide margin: a loaded CI machine stalled 0.3 s into 1 s
        await pilot.pause(CHORD_DELAY / 10)
        await pilot.press("g")
        await settle(pilot)
        await pilot.pause(CHORD_DELAY + 0.2)
        assert message_list.cursor == 0
        assert calls == []
        await pilot.press("j", "g")
        await pilot.pause(CHORD_DELAY + 0.2)
        await settle(pilot)
        assert calls == ["reply_all"]
        assert message_list.cursor == 1
        await pilot.press("g", "o")  # another key ends the wait: it sorts, and that is all
        await pilot.pause(CHORD_DELAY + 0.2)
        await settle(pilot)
        assert calls == ["reply_all"]
        assert "oldest first" in screen_text(app)


async def test_a_selection_over_two_accounts_is_acted_on_per_account(two_accounts_app):
    app = two_accounts_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        message_list = app.screen.query_one(MessageList)
        rows = [message_list.summary_at(i) for i in range(message_list.row_count)]
        assert {r.account for r in rows} == {"work", "home"}  # All inboxes
        work = next(r for r in rows if r.account == "work")
        home = next(r for r in rows if r.account == "home")
        for summary in (work, home):
            message_list.select_id(summary.id)
            await pilot.press("t")
        await settle(pilot)
        await pilot.press("A")
        await settle(pilot)
        assert folder_of(app, work.id) == "Archive"
        assert folder_of(app, home.id) == "INBOX"
        assert any("home: no archive folder" in n.message for n in app.notified)


async def test_mail_one_sent_shows_its_recipient_where_the_sender_would_be(demo_app):
    from tui_mail.ui.widgets.folder_tree import FolderChoice

    app = demo_app()
    app.ui_settings = replace(app.ui_settings, preview_pane="off")  # the list's full width
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        app.screen.choose(FolderChoice("demo", "Sent", "demo: Sent"))
        await settle(pilot)
        message_list = app.screen.query_one(MessageList)
        rows = [message_list.summary_at(i) for i in range(message_list.row_count)]
        assert rows and {row.sender.email for row in rows} == {"sam@example.com"}
        shown = ["".join(s.text for s in message_list.render_line(i)) for i in range(len(rows))]
        assert "To: Kwame Mensah" in shown[0] and "To: François Dubois" in shown[1]
        assert all("To: " in text and "Sam Rivera" not in text for text in shown)
        app.screen.choose(FolderChoice("demo", "INBOX", "demo: INBOX"))
        await settle(pilot)
        assert "To: " not in "".join(s.text for s in message_list.render_line(0))


async def test_keys_typed_fast_after_g_end_the_wait_even_before_it_starts(demo_app):
    """In a terminal `g o` typed fast reaches the list as two keys before the `g` binding
    runs (bindings run once a key has bubbled up to the app): the sort happens, no reply."""
    from textual import events

    app = demo_app()
    calls: list[str] = []
    app.action_reply_all = lambda: calls.append("reply_all")
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        app.post_message(events.Key("g", "g"))
        app.post_message(events.Key("o", "o"))
        await pilot.pause(CHORD_DELAY + 0.3)
        await settle(pilot)
        assert "oldest first" in screen_text(app)
        assert calls == []


async def test_keys_typed_right_after_q_are_dropped_not_acted_on_while_quitting(demo_app):
    from textual import events

    app = demo_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        for key in ("q", "s", "d"):  # `s` opened the folder picker as the app went down
            app.post_message(events.Key(key, key))
        await pilot.pause(0.3)
    assert app.return_code in (None, 0)
    assert not any(isinstance(screen, FolderPicker) for screen in app.screen_stack)


async def test_undo_in_the_viewer_takes_back_the_delete_not_the_next_message_being_read(
        demo_app):
    """After `d` the viewer shows the next message, which marks it read: `u` must bring the
    deleted message back (the notice offered that), not make the next one unread again."""
    app = demo_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        message_list = app.screen.query_one(MessageList)
        unread = [message_list.summary_at(i) for i in range(message_list.row_count)]
        unread = [s for s in unread if s is not None and not s.flags.seen]
        assert len(unread) >= 2
        first = unread[0]
        message_list.select_id(first.id)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
        await pilot.press("d")  # the viewer moves on (to the next message in the list)
        await settle(pilot)
        shown = app.screen.current_summary()
        assert shown is not None and shown.id != first.id
        assert app.store.message_row(shown.id).flags.seen  # read because it is shown
        await pilot.press("u")
        await settle(pilot)
        assert folder_of(app, first.id) == "INBOX"
        assert app.store.message_row(shown.id).flags.seen
