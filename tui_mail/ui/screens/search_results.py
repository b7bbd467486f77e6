"""The mailbox screen's search: the query read once, where it looks, the results in two
steps, and the note on text not downloaded yet. `MailboxScreen` inherits `SearchResults`; its
search bar's QueryChanged handler calls `search_for`, and the results go to its message list.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from textual import work

from tui_mail.errors import QueryError, TuiMailError
from tui_mail.model import Folder, FolderRole, MessageSummary
from tui_mail.ui.app_part import ScreenPart
from tui_mail.ui.widgets.message_list import ListRows, MessageList, Place
from tui_mail.ui.widgets.search_bar import SearchBar, SearchScope
from tui_mail.ui.widgets.text import format_size

if TYPE_CHECKING:
    from tui_mail.config import SavedSearch
    from tui_mail.store.query import Query
    from tui_mail.ui.app import TuiMailApp
    from tui_mail.ui.screens.sources import ListState

SEARCH_LIMIT = 500  # results listed at most
SEARCH_FIRST = 100  # results shown first, while the rest are read (a screen needs ~50)
PAINT_WAIT_SECONDS = 0.25  # the second step waits this long at most for the first to be painted


class SearchResults(ScreenPart):
    """Mixin for `MailboxScreen` (which provides `state`, `folders`, `searching`,
    `saved_search`, `message_list`, `tui`, `update_note` and `_highlight`)."""

    state: ListState
    folders: dict[tuple[str, str], Folder]
    searching: bool
    saved_search: SavedSearch | None
    # the query searched and where: (query, (account, folder, folder role))
    search_place: tuple[str, tuple[str | None, str | None, FolderRole | None]]

    if TYPE_CHECKING:
        @property
        def message_list(self) -> MessageList: ...

        @property
        def tui(self) -> TuiMailApp: ...

        def update_note(self) -> None: ...

        def show_list(self, keep_id: int | None) -> None: ...

        def _highlight(self, terms: Sequence[str]) -> None: ...

    def init_search_results(self) -> None:
        """The state of this mixin (the screen's __init__ calls it)."""
        self._search_serial = 0
        self._search_query = ""
        self._scope_note = ""  # said after the count when the query widened the scope
        self._missing_note = ""  # said after it when some bodies are not downloaded yet

    def search_for(self, text: str, asked: SearchScope) -> None:
        """Search for `text` (as typed) in the place `asked` names, widened when the query
        names its own (`resolve_scope`); the results replace the list's rows."""
        self._search_serial += 1
        self._missing_note = ""
        if not text.strip():
            self._highlight(())
            self.query_one(SearchBar).show_status("Type a query: words, from:, subject:, is:unread…")
            self.show_list(keep_id=None)
            return
        from tui_mail.store.query import read_query
        from tui_mail.ui.search_scope import resolve_scope

        # The query is read here, once: its place fields, its SQL for both pages of results,
        # and its words to highlight all come from this one reading.
        try:
            query = read_query(text)
        except QueryError as exc:
            query, error = None, str(exc)
        place = resolve_scope(query.place_fields if query else (), asked,
                              self.state.choice)
        self._scope_note = place.note
        self.search_place = (text, (place.account, place.folder, place.role))
        if query is None:
            self._search_failed(self._search_serial, error)
            return
        self.query_one(SearchBar).show_status("Searching…")
        self.message_list.show_place(*self._place_for(place.scope))
        self._run_search(self._search_serial, query, place.account, place.folder, place.role)

    def _place_for(self, scope: SearchScope | None) -> tuple[Place, int]:
        """Where the rows listed can come from, for the list's "where" column (with its longest
        label): one folder (no column), the inboxes of every account, or the folders of one or
        every account."""
        choice = self.state.choice
        accounts = {account for account, _ in self.folders}
        several = len(accounts) > 1
        place = Place.BOTH if several else Place.FOLDER
        if scope is None or scope is SearchScope.FOLDER:
            place = Place.ACCOUNT if choice.unified and several else Place.NONE
        elif scope is SearchScope.ACCOUNT and not choice.unified:
            place = Place.FOLDER
            accounts = {choice.account} if choice.account is not None else set()
        labels = [len(place.text(account, name))
                  for account, name in self.folders if account in accounts]
        return place, max(labels, default=0)

    @work(thread=True, exclusive=True, exit_on_error=False, group="search",
          description="search the cache")
    def _run_search(self, serial: int, query: Query, account: str | None,
                    folder: str | None, role: FolderRole | None) -> None:
        """Results in two steps: the newest `SEARCH_FIRST` as soon as they are read, then up to
        `SEARCH_LIMIT` (the cost of a search follows the rows it returns, so the first screen
        does not wait for the five-hundredth row). The second step starts once the first is on
        screen: run beside the paint, it held the interpreter lock the paint needed. A newer
        query makes both steps moot."""
        try:
            with self.tui.open_reader() as store:
                results = store.listing.search(query, account=account, folder=folder,
                                               role=role, limit=SEARCH_FIRST)
                complete = len(results) < SEARCH_FIRST
                self.app.call_from_thread(self._search_done, serial, query, results, complete)
                if serial != self._search_serial:
                    return
                if complete:
                    self._tell_missing_bodies(serial, account, folder, role)
                    return
                painted = threading.Event()
                self.app.call_from_thread(self.call_after_refresh, painted.set)
                painted.wait(PAINT_WAIT_SECONDS)
                if serial != self._search_serial:
                    return
                results += store.listing.search(query, account=account, folder=folder,
                                                role=role, limit=SEARCH_LIMIT - len(results),
                                                before_key=results[-1].id)
        except QueryError as exc:
            self.app.call_from_thread(self._search_failed, serial, str(exc))
            return
        except TuiMailError as exc:
            self.app.call_from_thread(self._search_failed, serial, f"Search failed: {exc}")
            return
        self.app.call_from_thread(self._search_done, serial, query, results, True)
        self._tell_missing_bodies(serial, account, folder, role)

    def _tell_missing_bodies(self, serial: int, account: str | None, folder: str | None,
                             role: FolderRole | None) -> None:
        """Say, after the results, how much of the scope's text is not searched: not
        downloaded yet, or encrypted (its text is in the cache only encrypted). From a worker
        thread, once the results are on screen."""
        if serial != self._search_serial:
            return
        where = "INBOX" if role is FolderRole.INBOX and folder is None else folder
        try:
            with self.tui.open_reader() as store:
                count, size = store.missing_bodies(account, where)
                encrypted = store.encrypted_count(account, where)
        except TuiMailError:
            return
        if count or encrypted:
            self.app.call_from_thread(self._note_missing_bodies, serial, count, size,
                                      encrypted)

    def _note_missing_bodies(self, serial: int, count: int, size: int,
                             encrypted: int = 0) -> None:
        if serial != self._search_serial or not self.searching:
            return
        self._missing_note = ""
        if count:
            self._missing_note = (
                f" · 1 message ({format_size(size)}) not downloaded yet: its text is not"
                " searched" if count == 1 else f" · {count} messages ({format_size(size)}) not"
                " downloaded yet: their text is not searched")
        if encrypted:
            self._missing_note += (
                " · 1 message is encrypted: its text is not searched" if encrypted == 1 else
                f" · {encrypted} messages are encrypted: their text is not searched")
        bar = self.query_one(SearchBar)
        bar.show_status(bar.status_text + self._missing_note)

    def _search_failed(self, serial: int, text: str) -> None:
        if serial == self._search_serial and self.searching:
            self.query_one(SearchBar).show_error(text)

    def _search_done(self, serial: int, query: Query, results: list[MessageSummary],
                     complete: bool) -> None:
        """Show results; the second step of the same search keeps the cursor where it is."""
        if serial != self._search_serial or not self.searching:
            return
        more = "+" if not complete or len(results) >= SEARCH_LIMIT else ""
        if not results:
            status = "No messages match"
        else:
            status = f"{len(results)}{more} result{'' if len(results) == 1 and not more else 's'}"
        status += self._scope_note + self._missing_note
        if self.saved_search is not None:
            status = f"\u201c{self.saved_search.name}\u201d: {status}"
        self.query_one(SearchBar).show_status(status)
        same_search = query.text == self._search_query and self.message_list.row_count
        selected = self.message_list.selected if same_search else None
        if not same_search:
            self._highlight(query.terms)
        shown = self.message_list.source
        # The second step lists the first step's rows (the same summaries) and more after
        # them: the rows on screen are kept as drawn.
        kept = bool(same_search) and isinstance(shown, ListRows) and all(
            a is b for a, b in zip(shown.rows(0, shown.count()), results, strict=False))
        self.message_list.set_source(ListRows(results),
                                     keep_id=selected.id if selected else None, keep_drawn=kept)
        if not same_search:
            self.message_list.clear_tags()
        self._search_query = query.text
        self.update_note()
