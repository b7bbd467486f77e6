"""The message list's row sources over the cache, and the list state (folder, sort, threads).

The UI reads the cache only through `tui_mail.store.Store`; these adapters give the message
list widget what it asks for (a count and rows by position) without the widget knowing the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from tui_mail.model import Folder, FolderRole, MessageSummary
from tui_mail.store.types import SortBy, ThreadOrder, View
from tui_mail.ui.widgets.folder_tree import ALL_INBOXES, FolderChoice
from tui_mail.ui.widgets.message_list import RowSource

if TYPE_CHECKING:
    from tui_mail.store import Store

# What `o` steps through: (sort, descending, how the status line says it). Sender and subject
# read best A to Z; dates newest first, then oldest first (mutt's reverse-date).
SORTS: tuple[tuple[SortBy, bool, str], ...] = (
    (SortBy.DATE, True, "newest first"),
    (SortBy.DATE, False, "oldest first"),
    (SortBy.SENDER, False, "by sender"),
    (SortBy.SUBJECT, False, "by subject"),
)


class ViewRows(RowSource):
    """Rows of a store `View` (a folder or all inboxes), read a page at a time."""

    def __init__(self, store: Store, view: View) -> None:
        self.store = store
        self.view = view

    def count(self) -> int:
        return self.store.listing.count(self.view)

    def rows(self, start: int, limit: int) -> Sequence[MessageSummary]:
        return self.store.listing.page(self.view, start, limit)

    def position(self, message_id: int) -> int | None:
        return None


class ThreadRows(RowSource):
    """Rows of a threaded view, in an order read earlier (by a worker: threading a large
    folder takes a moment) with folded threads left out. Summaries are read by id a page at a
    time; a row whose message left the cache since the order was read is None (drawn blank)
    until the order is read again."""

    def __init__(self, store: Store, view: View, order: ThreadOrder,
                 fold_all: bool = False, toggled: frozenset[int] = frozenset()) -> None:
        self.store = store
        self.view = view
        self.order = order
        self._rows, self._hidden = order.visible(fold_all, toggled)
        self._positions: dict[int, int] | None = None

    def count(self) -> int:
        return len(self._rows)

    def rows(self, start: int, limit: int) -> Sequence[MessageSummary | None]:
        shown = self._rows[start:start + limit]
        ids = [self.order.ids[row] for row in shown]
        found = self.store.listing.summaries(ids)
        hidden_ids = {row: self.order.ids[row + 1:row + 1 + self._hidden[row]]
                      for row in shown if row in self._hidden}
        unread = self.store.listing.unread_among([i for ids_ in hidden_ids.values() for i in ids_])
        result: list[MessageSummary | None] = []
        for row, message_id in zip(shown, ids, strict=True):
            summary = found.get(message_id)
            if summary is not None:
                summary = replace(
                    summary, depth=self.order.depths[row], folded=self._hidden.get(row, 0),
                    folded_unread=sum(i in unread for i in hidden_ids.get(row, ())))
            result.append(summary)
        return result

    def position(self, message_id: int) -> int | None:
        if self._positions is None:
            self._positions = {self.order.ids[row]: i for i, row in enumerate(self._rows)}
        return self._positions.get(message_id)

    def thread_key(self, message_id: int) -> int | None:
        """The id naming the thread of a message (its thread's first row)."""
        row = self._order_row(message_id)
        return None if row is None else self.order.ids[self.order.thread_of(row)]

    def _order_row(self, message_id: int) -> int | None:
        try:
            return self.order.ids.index(message_id)
        except ValueError:
            return None


@dataclass(frozen=True)
class ListState:
    """What the list shows and how."""

    choice: FolderChoice = ALL_INBOXES
    sort: SortBy = SortBy.DATE
    descending: bool = True
    threaded: bool = False
    fold_all: bool = False  # threads start folded (and `toggled` lists the open ones)
    toggled: frozenset[int] = field(default_factory=frozenset)  # threads folded/unfolded by hand

    def _sort_index(self) -> int:
        return next((i for i, (sort, descending, _) in enumerate(SORTS)
                     if (sort, descending) == (self.sort, self.descending)), 0)

    def next_sort(self) -> ListState:
        sort, descending, _ = SORTS[(self._sort_index() + 1) % len(SORTS)]
        return replace(self, sort=sort, descending=descending)

    def describe(self) -> str:
        order = SORTS[self._sort_index()][2]
        return f"{self.choice.title} · {order}{' · threads' if self.threaded else ''}"


def view_for(state: ListState, folders: dict[tuple[str, str], Folder]) -> View | None:
    """The store view for a list state, or None when the chosen folder no longer exists."""
    if state.choice.unified:
        return View.role(FolderRole.INBOX, sort=state.sort, descending=state.descending,
                         threaded=state.threaded)
    folder = folders.get((state.choice.account or "", state.choice.folder or ""))
    if folder is None:
        return None
    return View.of(folder, sort=state.sort, descending=state.descending,
                   threaded=state.threaded)
