"""Keys of the main screen that act on many messages at once: mark the folder (or every
search result) read, tag a thread, tag by query.

The messages are found in the cache by a worker (a folder may hold 100k, beyond the rows the
list has read), and marked read through the same action path as `U` (`act_in_background`),
in one action: one undo takes it back, one queue entry per folder goes to the server.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tui_mail.errors import TuiMailError
from tui_mail.model import FolderRole, MessageSummary
from tui_mail.ui.app_part import ScreenPart
from tui_mail.words import plural

if TYPE_CHECKING:
    from tui_mail.store.db import Store
    from tui_mail.ui.screens.sources import ListState
    from tui_mail.ui.widgets.message_list import MessageList

SEARCH_PAGE = 500  # results read at a time when all of them are wanted


def all_results(store: Store, query: str, account: str | None, folder: str | None,
                role: FolderRole | None) -> list[MessageSummary]:
    """Every message a search finds, not only the first page the list shows."""
    found: list[MessageSummary] = []
    while True:
        page = store.listing.search(query, account=account, folder=folder, role=role,
                            limit=SEARCH_PAGE, before_key=found[-1].id if found else None)
        found += page
        if len(page) < SEARCH_PAGE:
            return found


class MailboxMarks(ScreenPart):
    """Mixin for `MailboxScreen` (which provides `state`, `folders`, `searching`,
    `search_place`, `message_list`, `update_note` and `action_done`)."""

    state: ListState
    searching: bool
    # the query searched and where: (query, (account, folder, folder role))
    search_place: tuple[str, tuple[str | None, str | None, FolderRole | None]]

    if TYPE_CHECKING:
        @property
        def message_list(self) -> MessageList: ...

    def update_note(self) -> None:
        raise NotImplementedError

    def _in_worker(self, read: Callable[[Store], Any], then: Callable[[Any], None],
                   failed: str) -> None:
        """`read(store)` in a thread, `then(result)` on the interface; a query that cannot be
        read is said with `failed` in front."""
        app = self._app

        def work() -> None:
            try:
                with app.open_reader() as store:
                    result = read(store)
            except TuiMailError as exc:  # QueryError too: the query typed is said wrong
                app.call_from_thread(app.notify, f"{failed}: {exc}", severity="error",
                                     markup=False, timeout=10)
                return
            app.call_from_thread(then, result)

        app.run_worker(work, thread=True, exit_on_error=False, group="mailbox-marks",
                       description=failed)

    # ---- M mark all read ----------------------------------------------------------------------

    def action_mark_all_read(self) -> None:
        """Every unread message of the folder shown (all inboxes, if that is shown), or of
        every result of the search, after a question that says how many."""
        from tui_mail.ui.screens.sources import view_for

        if self.searching:
            query, place = self.search_place
            if not query.strip():
                self._app.notify("Type a search first.", markup=False)
                return
            where = "the search results"

            def read(store: Store) -> list[MessageSummary]:
                return [s for s in all_results(store, query, *place) if not s.flags.seen]
        else:
            view = view_for(self.state, self.folders)  # type: ignore[attr-defined]
            if view is None:
                self._app.notify("No folder is shown.", markup=False)
                return
            where = self.state.choice.title

            def read(store: Store) -> list[MessageSummary]:
                ids = store.listing.unread_ids(view)
                found = store.listing.summaries(ids)
                return [found[i] for i in ids if i in found]

        self._in_worker(read, lambda unread: self._ask_mark_read(unread, where),
                        "Nothing marked read")

    def _ask_mark_read(self, unread: list[MessageSummary], where: str) -> None:
        from tui_mail.mail.sanitize import sanitize_line
        from tui_mail.ui.screens.ask_text import YesNo

        where = sanitize_line(where)
        if not unread:
            self._app.notify(f"No unread messages in {where}.", markup=False)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._app.act_in_background(
                    "read", unread, then=self.action_done)  # type: ignore[attr-defined]
            else:
                self._app.notify("Nothing marked read.", markup=False)

        count = f"{len(unread):,} unread message{'' if len(unread) == 1 else 's'}"
        self._app.push_screen(YesNo(f"Mark {count} in {where} read?"), answered)

    # ---- ctrl+t tag the thread ----------------------------------------------------------------

    def action_tag_thread(self) -> None:
        """Tag every message of the cursor's thread (in its folder); when all are tagged
        already, untag them."""
        summary = self.message_list.selected
        if summary is None:
            self._app.notify("No message selected.", markup=False)
            return

        def read(store: Store) -> list[MessageSummary]:
            ids = store.listing.thread_members(summary.id)
            found = store.listing.summaries(ids)
            return [found[i] for i in ids if i in found]

        self._in_worker(read, self._tag_thread, "Thread not tagged")

    def _tag_thread(self, members: list[MessageSummary]) -> None:
        tagged = {s.id for s in self.message_list.tagged}
        untag = all(s.id in tagged for s in members)
        for member in members:
            if (member.id in tagged) == untag:
                self.message_list.toggle_tag(member)
        self.update_note()
        verb = "Untagged" if untag else "Tagged"
        self._app.notify(f"{verb} the thread ({plural(len(members))}).", markup=False)

    # ---- * tag by query -----------------------------------------------------------------------

    def action_tag_query(self) -> None:
        """Ask for a query (the grammar of `/`), tag every message of the folder shown that
        matches it (those already tagged stay tagged)."""
        from tui_mail.mail.sanitize import sanitize_line
        from tui_mail.ui.screens.ask_text import AskText

        if self.searching:
            self._app.notify("Tag by query works on the folder's list: close the search first"
                             " (Escape).", markup=False)
            return
        choice = self.state.choice
        where = sanitize_line(choice.title)

        def typed(query: str | None) -> None:
            if not query:
                return
            self._app.remember_typed("tag-query", query)
            role = FolderRole.INBOX if choice.unified else None

            def read(store: Store) -> list[MessageSummary]:
                return all_results(store, query, choice.account, choice.folder, role)

            self._in_worker(read, lambda found: self._tag_found(found, query, where),
                            "Nothing tagged")

        self._app.push_screen(AskText(f"Tag the messages of {where} that match",
                                      self._app.last_typed("tag-query"),
                                      placeholder="from:alice subject:report is:unread …"),
                              typed)

    def _tag_found(self, found: list[MessageSummary], query: str, where: str) -> None:
        from tui_mail.mail.sanitize import sanitize_line

        tagged = {s.id for s in self.message_list.tagged}
        for summary in found:
            if summary.id not in tagged:
                self.message_list.toggle_tag(summary)
        self.update_note()
        shown = sanitize_line(query)
        if not found:
            self._app.notify(f"No message in {where} matches {shown}.", markup=False)
            return
        self._app.notify(f"Tagged {plural(len(found))} matching {shown} "
                         f"({plural(len(self.message_list.tagged))} tagged in all).",
                         markup=False)
