"""Where a search looks (`ui/search_scope.py`): the bar's scope, widened by a query that names
its own place. Pure: no app."""

from __future__ import annotations

from tui_mail.model import FolderRole
from tui_mail.store.query import read_query
from tui_mail.ui.search_scope import SearchPlace, resolve_scope
from tui_mail.ui.widgets.folder_tree import ALL_INBOXES, FolderChoice
from tui_mail.ui.widgets.search_bar import SearchScope

ARCHIVE = FolderChoice("work", "Archive", "work: Archive")


def place(query: str, asked: SearchScope, choice: FolderChoice = ARCHIVE) -> SearchPlace:
    return resolve_scope(read_query(query).place_fields, asked, choice)


def test_the_folder_scope_looks_in_the_folder_shown():
    assert place("dinner", SearchScope.FOLDER) == SearchPlace(SearchScope.FOLDER, "work",
                                                              "Archive")


def test_the_folder_scope_of_all_inboxes_looks_in_every_inbox_by_role():
    assert place("dinner", SearchScope.FOLDER, ALL_INBOXES) == SearchPlace(
        SearchScope.FOLDER, None, None, FolderRole.INBOX)


def test_a_query_naming_a_folder_looks_in_the_whole_account_and_says_so():
    found = place("folder:Sent dinner", SearchScope.FOLDER)
    assert found == SearchPlace(SearchScope.ACCOUNT, "work", widened=True)
    assert found.note == " · in the account (the query says where)"
    assert place("in:Sent", SearchScope.FOLDER).scope is SearchScope.ACCOUNT


def test_a_query_naming_an_account_looks_in_every_account():
    found = place("account:home dinner", SearchScope.ACCOUNT)
    assert found == SearchPlace(SearchScope.ALL, widened=True)
    assert found.note == " · in every account (the query says where)"


def test_every_account_asked_is_never_narrowed_nor_said_to_be_widened():
    found = place("folder:Sent", SearchScope.ALL)
    assert found == SearchPlace(SearchScope.ALL)
    assert found.note == ""


def test_the_account_scope_of_all_inboxes_is_every_account():
    assert place("dinner", SearchScope.ACCOUNT, ALL_INBOXES) == SearchPlace(
        SearchScope.ACCOUNT, None)


def test_a_malformed_query_names_no_place():
    assert resolve_scope((), SearchScope.FOLDER, ARCHIVE) == SearchPlace(
        SearchScope.FOLDER, "work", "Archive")
