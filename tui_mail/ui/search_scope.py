"""Where a search looks: the scope chosen in the search bar (ctrl+s cycles folder, account,
all), widened when the query names a place itself. `folder:Archive` looks beyond the folder
the search was opened in (the account's folders), `account:home` beyond the account (every
account): the folder shown must not narrow a query that says where to look.

Pure: the mailbox screen asks it once per settled query, with the place fields of the query
it read (`store.query.Query.place_fields`).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tui_mail.model import FolderRole
from tui_mail.ui.widgets.search_bar import SearchScope

if TYPE_CHECKING:
    from tui_mail.ui.widgets.folder_tree import FolderChoice


@dataclass(frozen=True)
class SearchPlace:
    """The scope searched, and the account, folder or folder role that narrow it (None: not
    narrowed by that). `widened`: the query's own place fields made it wider than asked."""

    scope: SearchScope
    account: str | None = None
    folder: str | None = None
    role: FolderRole | None = None
    widened: bool = False

    @property
    def note(self) -> str:
        """What the search bar's status adds when the query widened the scope."""
        if not self.widened:
            return ""
        where = "every account" if self.scope is SearchScope.ALL else "the account"
        return f" · in {where} (the query says where)"


def resolve_scope(place_fields: Collection[str], asked: SearchScope,
                  choice: FolderChoice) -> SearchPlace:
    """The place a search looks in: `asked` (the bar's scope) from `choice` (what the list
    shows: one folder, or every inbox when `choice.unified`), widened by the query's
    `place_fields` ("folder", "in", "account")."""
    scope = asked
    named = set(place_fields) if asked is not SearchScope.ALL else set()
    if "account" in named:
        scope = SearchScope.ALL
    elif named and scope is SearchScope.FOLDER:
        scope = SearchScope.ACCOUNT
    widened = scope is not asked
    if scope is SearchScope.FOLDER:
        # The folder shown may be every inbox: all inboxes, by role.
        role = FolderRole.INBOX if choice.unified else None
        return SearchPlace(scope, choice.account, choice.folder, role, widened)
    if scope is SearchScope.ACCOUNT:
        # All inboxes belong to no one account: the account scope is then every account.
        return SearchPlace(scope, choice.account, widened=widened)
    return SearchPlace(scope, widened=widened)
