"""The search bar: a query in the store's language, a scope, and the parse error if any.

The bar only edits the query; the screen that owns it runs the search (debounced, in a worker)
when it posts `SearchBar.QueryChanged`, and shows results or `show_error(text)`.
"""

from __future__ import annotations

import enum
from time import monotonic
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.geometry import Size
from textual.message import Message
from textual.reactive import Reactive, reactive
from textual.timer import Timer
from textual.widgets import Input, Label

from tui_mail.ui.keys import Scope, bindings
from tui_mail.ui.widgets.text import sanitize_line

# A change searches at once when none came within this long (a key typed by hand); the changes
# of a burst (a paste, keys arriving together) search once more, this long after the last.
DEBOUNCE_SECONDS = 0.02


class SearchScope(enum.StrEnum):
    FOLDER = "folder"
    ACCOUNT = "account"
    ALL = "all"

    def next(self) -> SearchScope:
        members = list(SearchScope)
        return members[(members.index(self) + 1) % len(members)]


class QueryInput(Input):
    """The query field. Its size is fixed by the bar's CSS (one line, the bar's width), so a
    change of its text (which changes its virtual width) needs no layout pass: Textual's Input
    asks for one on every key, which repainted the whole screen (the message list included)
    before the results of the keystroke could be drawn."""

    virtual_size = Reactive(Size(0, 0), layout=False)


class SearchBar(Vertical):
    """A query input with a scope label and an error line."""

    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = bindings(
        Scope.SEARCH)

    DEFAULT_CSS = """
    SearchBar {
        height: auto;
        background: $panel;
        & > Horizontal { height: 1; }
        & Input, & Input:focus { border: none; height: 1; padding: 0 1; width: 1fr; background: $panel; }
        & #scope-prefix { width: auto; padding-left: 1; color: $text-accent; }
        & #scope { width: auto; padding: 0 1; color: $text-accent; }
        & #search-status { width: 100%; padding: 0 1; color: $text-muted; height: 1; }
        /* An error names what is valid: let it wrap rather than cut the list. */
        & #search-status.-error { height: auto; max-height: 4; }
        & #search-status.-error { color: $text-error; }
    }
    """

    scope: reactive[SearchScope] = reactive(SearchScope.FOLDER, init=False)

    class QueryChanged(Message):
        """The query or scope changed: at once for a lone change, else once the burst of
        changes is over (see DEBOUNCE_SECONDS)."""

        def __init__(self, query: str, scope: SearchScope) -> None:
            super().__init__()
            self.query = query
            self.scope = scope

    class Closed(Message):
        """The user closed the search."""

    class ToResults(Message):
        """The user wants to move to the results."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._timer: Timer | None = None
        self._last_change = float("-inf")
        # What the last QueryChanged carried: a burst's keys have often all reached the input
        # by the time its first change is handled, so the search at its end would repeat it.
        self._posted: tuple[str, SearchScope] | None = None
        self.status_text = ""  # what the status line says (not an error)

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Label(Content("/"), id="scope-prefix")
            yield QueryInput(placeholder="words from:alice subject:report is:unread",
                        id="query", select_on_focus=False)
            yield Label(self._scope_text(), id="scope")
        yield Label(Content(""), id="search-status")

    def _scope_text(self) -> Content:
        return Content(f"in: {self.scope.value}  (ctrl+s)")

    @property
    def typed(self) -> str:
        """The query as typed (named so as not to hide Textual's `query()`)."""
        return self.query_one("#query", Input).value

    def open(self) -> None:
        # Shown by the owning screen's `-searching` class (an inline display style here would
        # outlive that class and keep the bar on screen after Escape). The query takes the focus
        # at once, not after the bar is drawn: the keys typed right after `/` (already queued
        # when it is handled) went to the list otherwise, where `r` replied and `d` deleted.
        # `/` while the bar is open (from the results) keeps the query: only closing clears it.
        self._posted = None
        self.screen.set_focus(self.query_one("#query", Input), scroll_visible=False)

    def show_query(self, query: str, scope: SearchScope) -> None:
        """Put `query` and `scope` in the bar (a saved search chosen in the folder pane) and
        post one QueryChanged for them: the changes of the field and the scope that follow
        find nothing new to post."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._posted = (query, scope)
        field = self.query_one("#query", Input)
        field.value = query  # first: the scope's watcher reads the query
        field.cursor_position = len(query)
        self.scope = scope
        self.post_message(self.QueryChanged(query, scope))

    def clear(self) -> None:
        """Forget the query and its status, so the next search starts empty (the results
        have gone with the bar). Posts no QueryChanged: there is nothing to search."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._posted = ("", self.scope)  # the Input.Changed of the clearing searches nothing
        self.query_one("#query", Input).value = ""
        self.show_status("")

    def on_hide(self) -> None:
        """Closed by any way (Escape here, `q` or a folder chosen in the screen): the bar's
        own display is none then, unlike when a pane around it is hidden while searching."""
        if self.styles.display == "none":
            self.clear()

    def watch_scope(self) -> None:
        self.query_one("#scope", Label).update(self._scope_text())
        self._schedule()

    @on(Input.Changed, "#query")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self._schedule()

    @on(Input.Submitted, "#query")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.ToResults())

    def _schedule(self) -> None:
        """Debounce with a leading edge: typing waits for no timer, a burst costs at most two
        searches (one when the query it ends with was already read at its start)."""
        now = monotonic()
        lone = self._timer is None and now - self._last_change >= DEBOUNCE_SECONDS
        self._last_change = now
        if lone:
            self._settled()
            return
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(DEBOUNCE_SECONDS, self._settled)

    def _settled(self) -> None:
        self._timer = None
        wanted = (self.typed, self.scope)
        if wanted != self._posted:
            self._posted = wanted
            self.post_message(self.QueryChanged(*wanted))

    def show_status(self, text: str) -> None:
        self.status_text = text
        status = self.query_one("#search-status", Label)
        status.remove_class("-error")
        status.update(Content(sanitize_line(text)), layout=False)  # one line: no layout pass

    def show_error(self, text: str) -> None:
        status = self.query_one("#search-status", Label)
        status.add_class("-error")
        status.update(Content(sanitize_line(text)), layout=False)

    def action_cycle_scope(self) -> None:
        self.scope = self.scope.next()

    def action_close(self) -> None:
        self.clear()
        self.post_message(self.Closed())

    def action_to_results(self) -> None:
        self.post_message(self.ToResults())
