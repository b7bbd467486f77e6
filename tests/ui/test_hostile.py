"""Hostile mail is shown literally and safely: no markup, no escape sequences, no actions fired."""

from __future__ import annotations

from textual.widgets import Input

from tests.support.pilot import screen_text, settle
from tests.support.textual_private import rendered_lines
from tui_mail.ui.screens.mailbox import MailboxScreen
from tui_mail.ui.screens.message import MessageScreen
from tui_mail.ui.screens.picker import AttachmentPicker
from tui_mail.ui.widgets.message_list import MessageList

FORBIDDEN = ("\x1b", "\x07", "\u202e", "\u202c", "\u200b", "\x9b")


def rendered_segments(app) -> str:
    return "".join(rendered_lines(app))


def assert_clean(app) -> None:
    text = rendered_segments(app)
    for char in FORBIDDEN:
        assert char not in text, f"{char!r} reached the terminal"


def hostile_row(app) -> int:
    message_list = app.screen.query_one(MessageList)
    return next(i for i in range(message_list.row_count)
                if message_list.summary_at(i).message_id.strip("<>") == "hostile@example.com")


async def test_hostile_subject_and_sender_show_literally_in_the_list(make_app):
    app = make_app()
    async with app.run_test(size=(200, 40)) as pilot:
        await settle(pilot)
        app.screen.query_one(MessageList).cursor = hostile_row(app)
        await settle(pilot)
        text = screen_text(app)
        assert "[@click=app.quit]x[/] Re: [/] oops [bold]B[/bold]" in text
        assert "[@click=app.quit]Mallory[/]" in text
        assert_clean(app)
        assert app.is_running


async def test_clicking_a_hostile_row_fires_no_action(make_app):
    app = make_app()
    async with app.run_test(size=(200, 40)) as pilot:
        await settle(pilot)
        message_list = app.screen.query_one(MessageList)
        row = hostile_row(app)
        message_list.cursor = row
        await settle(pilot)
        y = row - message_list.scroll_offset.y
        for x in range(0, 120, 6):
            await pilot.click(MessageList, offset=(x, y))
        await settle(pilot)
        assert app.is_running
        assert isinstance(app.screen, MailboxScreen)


async def test_hostile_message_is_shown_literally_in_the_viewer(make_app):
    app = make_app()
    async with app.run_test(size=(120, 60)) as pilot:
        await settle(pilot)
        app.screen.query_one(MessageList).cursor = hostile_row(app)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
        text = screen_text(app)
        assert "[bold]not bold[/bold] [@click=app.quit]click[/]" in text
        assert "[link=https://evil.example]x[/link]" in text
        assert "more characters]" in text  # the 20,000-character line is cut
        assert_clean(app)
        for x in range(0, 110, 5):
            await pilot.click(offset=(x, 8))
        await pilot.press("R")  # the raw source is sanitized too
        await settle(pilot)
        assert_clean(app)
        assert app.is_running


async def test_hostile_attachment_name_is_literal_in_the_picker(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.screen.query_one(MessageList).cursor = hostile_row(app)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, AttachmentPicker)
        assert "[bold]evil [@click=app.quit]q" in screen_text(app)
        assert_clean(app)


async def test_hostile_mail_is_literal_in_search_results(make_app):
    app = make_app()
    async with app.run_test(size=(200, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await pilot.press(*"oops")
        await settle(pilot)
        assert isinstance(app.focused, Input)
        message_list = app.screen.query_one(MessageList)
        assert message_list.row_count == 1
        text = screen_text(app)
        assert "[@click=app.quit]x[/] Re: [/] oops" in text
        assert_clean(app)
        assert app.is_running


async def test_a_markup_query_is_searched_as_text(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await pilot.press(*"[@click=app.quit]")
        await settle(pilot)
        assert app.is_running
        assert "[@click=app.quit]" in screen_text(app)


async def test_a_notification_carrying_a_servers_words_reaches_the_screen_without_escapes(
        make_app):
    """Refusals, folder names and delivery errors come from servers; every notification is
    cleaned of control sequences (an OSC 52 would write the clipboard)."""
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        app.notify("the server refused: NO folder \x1b]52;c;ZXZpbA==\x07Evil\x1b[2J named",
                   title="Folder \x1b]0;pwned\x07x", severity="warning", markup=False)
        await settle(pilot)
        [shown] = app.notified
        assert "\x1b" not in shown.message and "\x07" not in shown.message
        assert "\x1b" not in shown.title
        assert "Evil" in shown.message and "named" in shown.message
