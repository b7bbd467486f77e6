"""Closing the search forgets it: `/` again starts with an empty query and no old status.
Escape from the results closes the search too; a malformed query never shows an old count."""

from __future__ import annotations

from textual.widgets import Input

from tests.support.pilot import screen_text, settle
from tui_mail.ui.widgets.folder_tree import FolderChoice
from tui_mail.ui.widgets.message_list import MessageList
from tui_mail.ui.widgets.search_bar import SearchBar


def status_text(app) -> str:
    return str(app.screen.query_one("#search-status").content)


async def search_for(pilot, text: str) -> None:
    await pilot.press("slash", *text)
    await settle(pilot)


async def test_reopening_the_search_after_escape_starts_with_an_empty_query(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        message_list = app.screen.query_one(MessageList)
        total = message_list.row_count
        await search_for(pilot, "from:bob")
        assert "results" in status_text(app)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("slash")
        await settle(pilot)
        bar = app.screen.query_one(SearchBar)
        assert isinstance(app.focused, Input)
        assert bar.typed == ""
        assert "results" not in status_text(app)  # no stale count from the last search
        assert message_list.row_count == total  # the folder, not the old results
        await pilot.press(*"from:alice")
        await settle(pilot)
        assert bar.typed == "from:alice"  # typed afresh, not appended to "from:bob"
        senders = {message_list.summary_at(i).sender.email for i in range(message_list.row_count)}
        assert senders == {"alice@example.com"}


async def test_reopening_after_q_in_the_results_starts_empty_too(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await search_for(pilot, "from:bob")
        await pilot.press("enter")  # to the results
        await pilot.press("q")  # closes the search from the list
        await settle(pilot)
        assert not app.screen.searching
        await pilot.press("slash")
        await settle(pilot)
        assert app.screen.query_one(SearchBar).typed == ""
        assert "results" not in status_text(app)


async def test_reopening_after_choosing_a_folder_starts_empty(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await search_for(pilot, "from:bob")
        app.screen.choose(FolderChoice("work", "INBOX", "work: INBOX"))
        await settle(pilot)
        await pilot.press("slash")
        await settle(pilot)
        assert app.screen.query_one(SearchBar).typed == ""
        assert "results" not in status_text(app)


async def test_slash_from_the_results_keeps_the_open_query(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await search_for(pilot, "from:bob")
        count = app.screen.query_one(MessageList).row_count
        await pilot.press("down")  # to the results, the search stays open
        await pilot.press("slash")  # back to the query to refine it
        await settle(pilot)
        assert app.screen.query_one(SearchBar).typed == "from:bob"
        assert f"{count} results" in status_text(app)


async def test_a_malformed_query_shows_only_its_error_not_the_last_count(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await search_for(pilot, "from:bob")
        count = app.screen.query_one(MessageList).row_count
        assert f"{count} results" in status_text(app)
        await pilot.press(*' subject:"unclosed')
        await settle(pilot)
        status = app.screen.query_one("#search-status")
        assert status.has_class("-error")
        assert "quote" in status_text(app)
        assert "results" not in status_text(app)
        assert f"{count} results" not in screen_text(app)
        await pilot.press("backspace", *'"')  # fixed: a count again, no error colour
        await settle(pilot)
        assert not status.has_class("-error")
        assert status_text(app) == "No messages match"  # from:bob subject:"" matches none


async def test_escape_in_the_results_closes_the_search(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        message_list = app.screen.query_one(MessageList)
        total = message_list.row_count
        await search_for(pilot, "from:bob")
        await pilot.press("enter")  # to the results
        assert message_list.has_focus
        await pilot.press("escape")
        await settle(pilot)
        assert app.is_running
        assert not app.screen.searching
        assert message_list.has_focus
        assert message_list.row_count == total
        await pilot.press("escape")  # with no search open, Escape does not quit
        await settle(pilot)
        assert app.is_running


async def test_hiding_the_list_pane_while_searching_keeps_the_query(make_app):
    app = make_app()
    async with app.run_test(size=(80, 30)) as pilot:  # narrow: `c` shows folders over the list
        await settle(pilot)
        await search_for(pilot, "from:bob")
        await pilot.press("down", "c")  # the folders replace the list (and the bar) for a moment
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert app.screen.searching
        assert app.screen.query_one(SearchBar).typed == "from:bob"


async def test_sort_and_threads_keys_in_search_results_say_why_and_change_nothing(make_app):
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        state = app.screen.state
        await pilot.press("slash", *"number", "enter")
        await settle(pilot)
        await pilot.press("o", "T", "z")
        await settle(pilot)
        assert app.screen.state == state
        told = [n.message for n in app.notified]
        assert len(told) == 3 and all("close the search first" in m for m in told)


async def test_a_result_read_from_the_search_shows_as_read_when_back_in_the_results(make_app):
    from tui_mail.ui.screens.message import MessageScreen

    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await search_for(pilot, "is:unread")
        message_list = app.screen.query_one(MessageList)
        count = message_list.row_count
        first = message_list.summary_at(0)
        assert count > 1 and not first.flags.seen
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
        await pilot.press("q")
        await settle(pilot)
        again = message_list.summary_at(0)
        assert again.id == first.id and again.flags.seen  # no stale unread mark
        assert message_list.row_count == count  # still listed: the search is not re-run
        assert message_list.cursor == 0
