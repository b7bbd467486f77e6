"""`d` in Trash deletes for good, which cannot be undone: it asks first (y / n / Escape, Enter
on the focused button; one question for all tagged messages). Elsewhere `d` stays instant."""

from __future__ import annotations

import pytest
from textual.widgets import Button

from tests.support.pilot import screen_text, settle
from tui_mail.ui.screens.acting import delete_question
from tui_mail.ui.screens.mailbox import MailboxScreen
from tui_mail.ui.screens.message import MessageScreen
from tui_mail.ui.widgets.compose_dialogs import ConfirmDelete
from tui_mail.ui.widgets.folder_tree import FolderChoice
from tui_mail.ui.widgets.message_list import MessageList


def last_notice(app) -> str:
    return app.notified[-1].message


async def open_trash(app, pilot) -> MessageList:
    await settle(pilot)
    account = app.account_names[0]
    app.screen.choose(FolderChoice(account, "Trash", f"{account}: Trash"))
    await settle(pilot)
    message_list = app.screen.query_one(MessageList)
    assert message_list.row_count >= 3
    return message_list


async def test_delete_in_trash_asks_and_y_deletes_for_good(demo_app):
    app = demo_app()
    async with app.run_test(size=(120, 30)) as pilot:
        message_list = await open_trash(app, pilot)
        chosen = message_list.selected
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDelete)
        assert app.store.message_row(chosen.id) is not None  # nothing gone while asking
        assert "for good?" in screen_text(app)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, MailboxScreen)
        assert app.store.message_row(chosen.id) is None
        assert last_notice(app) == "Deleted 1 message for good."


async def test_n_escape_and_enter_on_the_focused_keep_button_delete_nothing(demo_app):
    app = demo_app()
    async with app.run_test(size=(120, 30)) as pilot:
        message_list = await open_trash(app, pilot)
        chosen = message_list.selected
        total = message_list.row_count
        for answer in ("n", "escape", "enter"):  # Enter: "Keep" has the focus
            await pilot.press("d")
            await settle(pilot)
            assert isinstance(app.screen, ConfirmDelete)
            await pilot.press(answer)
            await settle(pilot)
            assert isinstance(app.screen, MailboxScreen), answer
            assert app.store.message_row(chosen.id) is not None, answer
            assert last_notice(app) == "Nothing deleted."
        assert message_list.row_count == total


async def test_enter_on_the_focused_delete_button_deletes(demo_app):
    app = demo_app()
    async with app.run_test(size=(120, 30)) as pilot:
        message_list = await open_trash(app, pilot)
        chosen = message_list.selected
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("left")  # from "Keep" to "Delete for good"
        assert isinstance(app.focused, Button) and app.focused.id == "confirm"
        await pilot.press("enter")
        await settle(pilot)
        assert app.store.message_row(chosen.id) is None


async def test_tagged_messages_in_trash_are_confirmed_once_for_all(demo_app):
    app = demo_app()
    async with app.run_test(size=(120, 30)) as pilot:
        message_list = await open_trash(app, pilot)
        ids = [message_list.summary_at(i).id for i in range(3)]
        await pilot.press("t", "t", "t")
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDelete)
        assert "Delete 3 messages for good?" in screen_text(app)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, MailboxScreen)  # no second question
        assert [app.store.message_row(i) for i in ids] == [None, None, None]
        assert last_notice(app) == "Deleted 3 messages for good."


async def test_delete_outside_trash_stays_instant_and_undoable(demo_app):
    app = demo_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        chosen = app.screen.query_one(MessageList).selected
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, MailboxScreen)  # no question
        assert app.store.message_row(chosen.id).folder == "Trash"
        assert "(u: undo)" in last_notice(app)


async def test_the_viewer_asks_too_before_deleting_from_trash(demo_app):
    app = demo_app()
    async with app.run_test(size=(120, 30)) as pilot:
        message_list = await open_trash(app, pilot)
        chosen = message_list.selected
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDelete)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
        assert app.store.message_row(chosen.id) is not None
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert app.store.message_row(chosen.id) is None


async def test_a_selection_partly_in_trash_is_asked_about_once_and_says_so(demo_app):
    app = demo_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        inbox_one = app.screen.query_one(MessageList).selected
        trash_one = next(s for s in app.store.listing.search("folder:Trash", limit=1))
        assert app.deletes_for_good([inbox_one, trash_one]) == [app.store.message_row(trash_one.id)]
        question = delete_question([inbox_one, trash_one], [trash_one])
        assert "for good?" in question and "The other 1 message will go to Trash" in question
        outcome = app.act("delete", [inbox_one, trash_one])
        assert app.store.message_row(trash_one.id) is None
        assert app.store.message_row(inbox_one.id).folder == "Trash"
        assert outcome.message.startswith("Deleted 1 message for good; moved 1 message to Trash")


def test_one_message_is_named_by_its_subject_without_control_characters() -> None:
    class Row:
        subject = "Quarterly \x1b[2J report [bold]x[/]"

    # A stand-in with only the subject, which is all the question reads of a message.
    question = delete_question([Row()], [Row()])  # type: ignore[list-item]
    assert "\x1b" not in question
    assert question.startswith("Delete “Quarterly") and "[bold]x[/]" in question
    assert question.endswith("for good? This cannot be undone.")


@pytest.mark.servers
async def test_on_an_imap_account_delete_in_trash_asks_then_expunges_on_the_server(synced):
    from tests.support.synced import server_messages

    app = synced.app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        message_list = app.screen.query_one(MessageList)
        subject = message_list.selected.subject
        await pilot.press("d")  # INBOX -> Trash: at once, no question
        await settle(pilot)
        assert isinstance(app.screen, MailboxScreen)
        app.replay_now()
        await settle(pilot)
        assert subject in server_messages(synced, "Trash")

        app.screen.choose(FolderChoice(synced.account.name, "Trash", "Trash"))
        await settle(pilot)
        assert message_list.selected.subject == subject
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDelete)
        await pilot.press("y")
        await settle(pilot)
        assert message_list.row_count == 0
        app.replay_now()
        await settle(pilot)
        assert subject not in server_messages(synced, "Trash")
