"""Saved searches on the main screen: their unread counts in the folder pane, and saving the
query of the search bar under a name (`ctrl+n`).

The counts are read by a thread worker each time the folder counts are read again (after a
sync's changes, after an action), one count at a time: a sync that reports many changes in a
row costs one more count at its end, not one per change. Saving writes the config file in a
worker too (tui_mail/setup/searches_writer.py keeps the rest of the file as it was); the
app's config then holds the new search, so the pane shows it at once.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from tui_mail.config import SavedSearch
from tui_mail.errors import ConfigError, QueryError, TuiMailError
from tui_mail.ui.app_part import ScreenPart
from tui_mail.ui.widgets.folder_tree import FolderTree
from tui_mail.ui.widgets.search_bar import SearchBar
from tui_mail.ui.widgets.text import sanitize_line

if TYPE_CHECKING:
    from tui_mail.config import Config

log = logging.getLogger(__name__)

NO_CONFIG = ("Searches are saved in the config file, and the demo runs without one: this one "
             "cannot be saved. Run tui-mail with your accounts to keep searches.")


class SavedSearches(ScreenPart):
    """Mixin for `MailboxScreen` (which provides `saved_search`, `query_one`, `run_worker`,
    `reload_folders` and `update_note`)."""

    saved_search: SavedSearch | None
    _counting = False  # a count is being read
    _count_again = False  # the folders were read again meanwhile: count once more after it

    @property
    def saved_searches(self) -> tuple[SavedSearch, ...]:
        config = self._app.config
        return config.searches if config is not None else ()

    def reload_folders(self) -> None:
        raise NotImplementedError

    def update_note(self) -> None:
        raise NotImplementedError

    # ---- unread counts ------------------------------------------------------------------------

    def count_searches(self) -> None:
        """Count the saved searches' unread mail again, in a worker; the pane shows the new
        counts when they are read."""
        searches = self.saved_searches
        if not searches:
            return
        if self._counting:
            self._count_again = True
            return
        self._counting = True
        app = self._app

        def work() -> None:
            counts: dict[str, int | None] = {}
            try:
                with app.open_reader() as store:
                    for search in searches:
                        try:
                            counts[search.name] = store.listing.unread_count(search.query)
                        except QueryError as exc:  # checked at load: a date gone wrong
                            log.warning("saved search %r: %s", search.name, exc)
                            counts[search.name] = None
            except TuiMailError as exc:
                log.warning("the saved searches could not be counted: %s", exc)
            finally:
                app.call_from_thread(self._counted, counts)

        self.run_worker(work, thread=True, exit_on_error=False,
                        group="saved-search-counts",
                        description="count the saved searches' unread mail")

    def _counted(self, counts: dict[str, int | None]) -> None:
        self._counting = False
        if counts:
            self.query_one(FolderTree).show_search_counts(counts)
        if self._count_again:
            self._count_again = False
            self.count_searches()

    # ---- saving -------------------------------------------------------------------------------

    def action_save_search(self) -> None:
        """Ask a name for the query in the search bar and save it in the config's
        `[searches]` (the name of the saved search shown is offered)."""
        from tui_mail.store.query import compile_query
        from tui_mail.ui.screens.ask_text import AskText

        app = self._app
        query = self.query_one(SearchBar).typed.strip()
        if not query:
            app.notify("Type a query first: there is nothing to save.", title="Save search")
            return
        if app.demo or app.config is None:
            app.notify(NO_CONFIG, title="Save search", severity="warning", timeout=8)
            return
        try:
            compile_query(query)
        except QueryError as exc:
            app.notify(f"This query cannot be saved: {exc}", title="Save search",
                       severity="error", markup=False)
            return
        shown = self.saved_search
        offered = shown.name if shown is not None and shown.query == query else ""

        def named(name: str | None) -> None:
            if name:
                self._write_search(name, query, replace_it=False)

        app.push_screen(AskText("Save this search as", offered,
                                placeholder="a name, e.g. Unread from Ann"), named)

    def _write_search(self, name: str, query: str, *, replace_it: bool) -> None:
        from tui_mail.setup.searches_writer import SearchExists, save_search

        app = self._app
        if app.config is None:  # asked above; the config may not go away meanwhile
            return
        path = app.config.path

        def work() -> None:
            try:
                config = save_search(path, name, query, replace=replace_it)
            except SearchExists:
                app.call_from_thread(self._ask_replace, name, query)
            except ConfigError as exc:
                app.call_from_thread(app.notify, f"The search was not saved: {exc}",
                                     title="Save search", severity="error", markup=False,
                                     timeout=10)
            else:
                app.call_from_thread(self._search_saved, config, SavedSearch(name, query))

        self.run_worker(work, thread=True, exit_on_error=False,
                        group="save-search", description="save the search in the config")

    def _ask_replace(self, name: str, query: str) -> None:
        from tui_mail.ui.screens.ask_text import YesNo

        def answered(yes: bool | None) -> None:
            if yes:
                self._write_search(name, query, replace_it=True)

        self._app.push_screen(YesNo(f"A saved search named \u201c{sanitize_line(name)}\u201d"
                                    " exists. Replace its query with this one?"), answered)

    def _search_saved(self, saved: Config, search: SavedSearch) -> None:
        """The file holds the search: the app's config takes the searches read back from it
        (ones added by hand meanwhile too), and the pane shows them."""
        app = self._app
        app.config = replace(app.config or saved, searches=saved.searches)
        if self.query_one(SearchBar).typed.strip() == search.query:
            self.saved_search = search
            self.update_note()
        self.reload_folders()
        app.notify(f"Saved as \u201c{sanitize_line(search.name)}\u201d in {saved.path}.",
                   title="Save search", markup=False)
