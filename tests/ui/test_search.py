"""Search: results as you type, scope, query errors inline, back to the folder."""

from __future__ import annotations

import threading
from typing import Any

from textual.content import Content
from textual.widgets import Input, Static

from tests.support.pilot import run_until, screen_text, settle, type_query
from tui_mail.store.query import Query
from tui_mail.ui.screens.mailbox import MailboxScreen
from tui_mail.ui.screens.message import MessageScreen
from tui_mail.ui.widgets.message_list import MessageList
from tui_mail.ui.widgets.search_bar import SearchBar, SearchScope


async def test_results_update_as_you_type(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        message_list = app.screen.query_one(MessageList)
        await type_query(pilot, "from:alice")
        assert isinstance(app.focused, Input)
        senders = {message_list.summary_at(i).sender.email for i in range(message_list.row_count)}
        assert senders == {"alice@example.com"}
        assert f"{message_list.row_count} results" in screen_text(app)
        await pilot.press(*" topic")
        await settle(pilot)
        assert message_list.row_count > 0


async def test_a_malformed_query_shows_the_error_inline(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await type_query(pilot, 'subject:"unclosed')
        assert app.is_running
        status = app.screen.query_one("#search-status")
        assert status.has_class("-error")
        assert "unclosed" in screen_text(app).lower() or "quote" in screen_text(app).lower()


async def test_results_open_like_any_list_and_escape_returns_to_the_folder(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        message_list = app.screen.query_one(MessageList)
        total = message_list.row_count
        await type_query(pilot, "Dinner")
        await pilot.press("enter")  # to the results
        assert message_list.has_focus
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
        assert "Come over!" in screen_text(app)
        await pilot.press("q")
        await settle(pilot)
        await pilot.press("q")  # closes the search, not the app
        await settle(pilot)
        assert app.is_running
        assert isinstance(app.screen, MailboxScreen)
        assert message_list.row_count == total


async def test_scope_cycles_between_folder_account_and_everything(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        # In the unified inbox view the folder scope covers every inbox.
        await type_query(pilot, "Dinner")
        message_list = app.screen.query_one(MessageList)
        bar = app.screen.query_one(SearchBar)
        assert bar.scope is SearchScope.FOLDER
        assert message_list.row_count == 1
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert bar.scope is SearchScope.ACCOUNT
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert bar.scope is SearchScope.ALL
        assert "in: all" in screen_text(app)
        assert message_list.row_count == 1


async def test_search_in_a_folder_scope_excludes_other_folders(make_app):
    app = make_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        from tui_mail.ui.widgets.folder_tree import FolderChoice

        screen.choose(FolderChoice("work", "INBOX", "work: INBOX"))
        await settle(pilot)
        await type_query(pilot, "PEP")
        assert screen.query_one(MessageList).row_count == 0
        await pilot.press("ctrl+s", "ctrl+s")
        await settle(pilot)
        assert screen.query_one(MessageList).row_count == 1


async def test_escape_in_the_query_closes_the_search_and_down_goes_to_results(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        message_list = app.screen.query_one(MessageList)
        await type_query(pilot, "from:bob")
        await pilot.press("down")
        assert message_list.has_focus
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press("escape")
        await settle(pilot)
        assert not app.screen.searching
        assert message_list.has_focus
        assert message_list.row_count == 32


async def test_a_long_result_list_shows_its_first_rows_then_the_rest(make_app, cache_path,
                                                                      monkeypatch):
    """The newest results show at once; the rest follow without moving the cursor."""
    import threading

    from tests.support.cache import fill_cache
    from tui_mail.store.listing import Listing
    from tui_mail.ui.screens import search_results

    cache_path.unlink()
    fill_cache(cache_path, inbox_size=search_results.SEARCH_FIRST + 60, hostile=False).close()
    release = threading.Event()
    search = Listing.search

    def second_step_waits(self, query, **kw):
        if kw.get("before_key") is not None:
            assert release.wait(10)
        return search(self, query, **kw)

    monkeypatch.setattr(Listing, "search", second_step_waits)
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        message_list = app.screen.query_one(MessageList)
        await pilot.press("slash")
        await pilot.press(*"topic")
        for _ in range(100):
            await pilot.pause(0.02)
            if message_list.row_count:
                break
        assert message_list.row_count == search_results.SEARCH_FIRST
        assert f"{search_results.SEARCH_FIRST}+ results" in screen_text(app)
        message_list.cursor = 5
        chosen = message_list.selected
        release.set()
        await settle(pilot)
        assert message_list.row_count == search_results.SEARCH_FIRST + 60
        assert f"{search_results.SEARCH_FIRST + 60} results" in screen_text(app)
        assert message_list.selected == chosen


def searches_run(screen: Any, monkeypatch: Any) -> list[str]:  # noqa: ANN401
    """The queries the screen searches for from now on (a blank one lists the folder)."""
    asked: list[str] = []
    original = screen.search_for

    def record(text: str, scope: SearchScope) -> None:
        if text.strip():
            asked.append(text)
        original(text, scope)

    monkeypatch.setattr(screen, "search_for", record)
    return asked


async def test_a_lone_change_searches_at_once_and_a_burst_once_at_its_end(make_app, monkeypatch):
    from tui_mail.ui.widgets import search_bar

    monkeypatch.setattr(search_bar, "DEBOUNCE_SECONDS", 1.0)  # a burst is anything within 1 s
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        asked = searches_run(screen, monkeypatch)
        await pilot.press("slash")
        await pilot.pause()
        bar_input = screen.query_one("#query", Input)
        await pilot.pause(1.1)
        bar_input.value = "n"
        await pilot.pause(0.2)
        assert asked[-1:] == ["n"]  # no waiting for the 1 s delay
        for text in ("na", "nar", "narwhal"):
            bar_input.value = text
        await pilot.pause(0.2)
        assert asked[-1] == "n"  # the burst waits...
        await pilot.pause(1.2)
        assert asked[-1] == "narwhal"  # ...and searches once, for its end
        assert asked.count("na") == asked.count("nar") == 0


async def test_a_burst_that_ends_on_the_query_already_searched_does_not_search_again(
        make_app, monkeypatch):
    """Keys arriving together have often all reached the input by the time its first change is
    handled: that change searches the whole word, and the end of the burst must not repeat it.
    Reopening the bar searches again, even for the same words."""
    from tui_mail.ui.widgets import search_bar

    monkeypatch.setattr(search_bar, "DEBOUNCE_SECONDS", 1.0)
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        asked = searches_run(screen, monkeypatch)
        await pilot.press("slash")
        await pilot.pause(1.1)
        bar_input = screen.query_one("#query", Input)
        for text in ("topic", "topicx", "topic"):
            bar_input.value = text
        await pilot.pause(1.3)
        assert asked == ["topic"]
        await pilot.press("escape")
        await pilot.press("slash")
        await pilot.pause(1.1)
        bar_input.value = ""
        bar_input.value = "topic"
        await pilot.pause(1.3)
        assert asked[1:] == ["topic"]  # the cleared bar does not search; the burst's end does


async def test_a_query_longer_than_the_bar_scrolls_to_the_cursor(make_app):
    """The query field skips Textual's layout pass on each key; it must still scroll."""
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await pilot.pause()
        await pilot.press(*("subject:" + "abcdefghij" * 12 + "END"))
        await settle(pilot)

        def bar_line() -> str:
            return next(line for line in screen_text(app).splitlines() if "in: folder" in line)

        assert "END" in bar_line() and "subject:" not in bar_line()
        await pilot.press("home")
        await settle(pilot)
        assert "subject:" in bar_line() and "END" not in bar_line()


async def test_in_all_inboxes_the_folder_scope_leaves_out_every_other_folder(make_app):
    """"PEP 999" is in work's Lists/python: not an inbox, so the view's scope does not find
    it; the account scope (no one account owns all inboxes: every account) does."""
    app = make_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        assert app.screen.state.choice.unified
        await type_query(pilot, "PEP")
        message_list = app.screen.query_one(MessageList)
        assert message_list.row_count == 0
        assert "No messages match" in screen_text(app)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert [message_list.summary_at(0).folder] == ["Lists/python"]


async def test_the_words_searched_for_are_marked_in_the_results_and_unmarked_after(make_app):
    app = make_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        await type_query(pilot, "from:carol number")
        message_list = app.screen.query_one(MessageList)
        assert message_list.row_count > 1
        match = message_list.get_component_rich_style("message-list--match")

        def marked(row: int) -> list[str]:  # row 0 has the cursor's colours over everything
            return [segment.text for segment in message_list.render_line(row)
                    if segment.style is not None and segment.style.bgcolor == match.bgcolor]

        assert marked(1) == ["Carol", "number"]
        await pilot.press("escape")
        await settle(pilot)
        assert marked(1) == []


def row_text(message_list: MessageList, row: int) -> str:
    return "".join(segment.text for segment in message_list.render_line(row))


async def test_rows_from_several_places_say_where_they_live(make_app):
    """All inboxes shows each row's account; a search wider than a folder shows its folder
    (and its account when there are several); one folder's list shows neither."""
    from tui_mail.ui.widgets.folder_tree import FolderChoice

    app = make_app()
    async with app.run_test(size=(200, 40)) as pilot:
        await settle(pilot)
        message_list = app.screen.query_one(MessageList)
        assert app.screen.state.choice.unified
        rows = [row_text(message_list, row) for row in range(message_list.row_count)]
        assert [row.split()[-2:] for row in rows if " home " in row] == [["on", "Friday?"]]
        assert all(" work " in row for row in rows if " home " not in row)
        await type_query(pilot, "PEP")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen.query_one(SearchBar).scope is SearchScope.ACCOUNT
        assert "…Lists/python [Python-Dev]" in row_text(message_list, 0)  # the end of work:Lists/python
        assert " 1 result " in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        app.screen.choose(FolderChoice("work", "Lists/python", "work: Lists/python"))
        await settle(pilot)
        assert "work" not in row_text(message_list, 0)
        await type_query(pilot, "PEP")
        assert app.screen.query_one(SearchBar).scope is SearchScope.ACCOUNT  # as it was left
        assert "Lists/python [Python-Dev]" in " ".join(row_text(message_list, 0).split())
        await pilot.press("ctrl+s", "ctrl+s")
        await settle(pilot)
        assert app.screen.query_one(SearchBar).scope is SearchScope.FOLDER
        assert "Lists/python" not in row_text(message_list, 0)
        assert "PEP 999" in row_text(message_list, 0)


async def test_a_query_naming_a_folder_looks_beyond_the_folder_it_was_opened_in(make_app):
    from tui_mail.ui.widgets.folder_tree import FolderChoice

    app = make_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        app.screen.choose(FolderChoice("work", "INBOX", "work: INBOX"))
        await settle(pilot)
        await type_query(pilot, "folder:Lists/python")
        assert app.screen.query_one(SearchBar).scope is SearchScope.FOLDER
        message_list = app.screen.query_one(MessageList)
        assert [message_list.summary_at(0).subject] == ["[Python-Dev] PEP 999"]
        assert "1 result · in the account (the query says where)" in screen_text(app)
        await type_query(pilot, "account:home")
        assert [message_list.summary_at(0).subject] == ["Dinner on Friday?"]
        assert "in every account (the query says where)" in screen_text(app)


async def test_an_unknown_field_is_an_error_that_wraps_to_show_the_fields(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await type_query(pilot, "subjet:report")
        status = app.screen.query_one("#search-status")
        assert status.has_class("-error")
        assert status.region.height > 1
        text = " ".join(screen_text(app).split())
        assert "did you mean subject:?" in text
        assert "account, after, attachment" in text


async def test_the_words_searched_for_are_marked_in_the_message_opened_from_the_results(
        make_app):
    from tui_mail.ui.screens.message import MessageScreen
    from tui_mail.ui.widgets.message_view import SEARCH_MATCH, MessageView

    def marked(view: MessageView) -> list[str]:
        body = view.query_one("#body", Static).content
        assert isinstance(body, Content)
        return [body.plain[span.start:span.end] for span in body.spans
                if span.style == SEARCH_MATCH]

    app = make_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        await type_query(pilot, "message")
        assert marked(app.screen.query_one("#preview", MessageView)) == ["message"]
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
        view = app.screen.query_one(MessageView)
        assert marked(view) == ["message"]
        headers = view.query_one("#headers").content
        assert [headers.plain[s.start:s.end] for s in headers.spans
                if s.style == SEARCH_MATCH] == ["Message"]  # in the subject too
        await pilot.press("q", "escape")
        await settle(pilot)
        assert marked(app.screen.query_one("#preview", MessageView)) == []


async def test_keys_typed_right_after_slash_go_to_the_query_not_the_list(make_app):
    """`/` and the keys after it arrive together (a fast typist, a terminal's burst): they
    are handled before the bar is drawn, and must reach the query, not the list (where `r`
    replies, `d` deletes)."""
    from textual import events

    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        for key, character in (("slash", "/"), ("r", "r"), ("d", "d")):
            app.post_message(events.Key(key, character))  # queued together
        await settle(pilot)
        assert app.screen is screen  # no composer opened by `r`
        assert screen.query_one("#query", Input).value == "rd"
        assert isinstance(app.focused, Input)
        await pilot.press("slash")  # in the query, `/` is text (folder:Lists/python)
        await settle(pilot)
        assert screen.query_one("#query", Input).value == "rd/"


async def test_results_of_a_superseded_query_are_never_shown(make_app, monkeypatch):
    """A query's results that arrive after the next key changed the query are dropped: the
    list and the count show the last query's."""
    from tui_mail.store.listing import Listing

    reading, late = threading.Event(), threading.Event()
    search = Listing.search

    def slow_for_dinner(listing: Listing, query: Query | str, **where: Any) -> list:
        if getattr(query, "text", query) == "Dinner":
            reading.set()
            late.wait(20)  # the cache answers once the next query is on screen
        return search(listing, query, **where)

    monkeypatch.setattr(Listing, "search", slow_for_dinner)
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        message_list = screen.query_one(MessageList)
        await pilot.press("slash")
        await pilot.pause()
        bar_input = screen.query_one("#query", Input)
        bar_input.value = "Dinner"
        await run_until(pilot, reading.is_set)
        bar_input.value = "from:alice"
        await run_until(pilot, lambda: "results" in screen.query_one(SearchBar).status_text)
        alice = message_list.row_count
        assert alice > 1
        late.set()
        await settle(pilot)
        assert message_list.row_count == alice
        assert {message_list.summary_at(i).sender.email for i in range(alice)} == {
            "alice@example.com"}
        assert f"{alice} results" in screen_text(app)
