"""The unread count of a saved search: what its search lists across every account, unread,
a Gmail message under several labels counted once."""

from __future__ import annotations

import pytest

from tests.store.builders import make_raw
from tui_mail.errors import QueryError
from tui_mail.model import Flags, FolderRole
from tui_mail.store import NewMessage, Store

ALL_MAIL = "[Gmail]/All Mail"


def _add(store: Store, account: str, folder: str, n: int, *, seen: bool = False,
         gm_msgid: int | None = None, **fields: str) -> int:
    [row] = store.add_messages(account, folder, [NewMessage(
        uid=n, raw=make_raw(n, **fields), flags=Flags(seen=seen), gm_msgid=gm_msgid)])
    return row


def unread_found(store: Store, query: str) -> int:
    return sum(1 for m in store.listing.search(query, limit=1000) if not m.flags.seen)


@pytest.fixture
def filled(store: Store) -> Store:
    for account in ("work", "home"):
        store.ensure_folder(account, "INBOX", FolderRole.INBOX)
    store.ensure_folder("work", "Lists")
    _add(store, "work", "INBOX", 1, sender="Ann <ann@example.com>", body="the q3 report")
    _add(store, "work", "INBOX", 2, sender="Ann <ann@example.com>", seen=True)
    _add(store, "work", "Lists", 3, sender="Ann <ann@example.com>", body="report draft")
    _add(store, "home", "INBOX", 4, sender="Ann <ann@example.com>")
    _add(store, "home", "INBOX", 5, sender="Bob <bob@example.com>", body="report")
    return store


@pytest.mark.parametrize("query", ["from:ann", "report", "from:ann report", "is:unread",
                                   "from:ann -report", "account:home", "folder:Lists",
                                   "from:ann or from:bob", "is:read"])
def test_the_count_is_the_unread_messages_the_search_lists(filled: Store, query: str):
    assert filled.listing.unread_count(query) == unread_found(filled, query)


def test_the_count_covers_every_account(filled: Store):
    assert filled.listing.unread_count("from:ann") == 3


def test_a_read_message_leaves_the_count(filled: Store):
    [first] = [m for m in filled.listing.search("report from:ann", limit=10) if m.folder == "INBOX"]
    filled.set_flags_local([first.id], seen=True)
    assert filled.listing.unread_count("report from:ann") == 1


def test_a_gmail_message_under_two_labels_counts_once(store: Store):
    store.ensure_folder("gmail", "INBOX", FolderRole.INBOX)
    store.ensure_folder("gmail", ALL_MAIL, FolderRole.ARCHIVE)
    store.set_gmail("gmail", True)
    for folder in ("INBOX", ALL_MAIL):
        _add(store, "gmail", folder, 1, gm_msgid=77, body="the invoice")
    _add(store, "gmail", ALL_MAIL, 2, gm_msgid=78, body="another invoice")
    assert store.listing.unread_count("invoice") == 2 == unread_found(store, "invoice")


def test_a_malformed_query_is_a_query_error(filled: Store):
    with pytest.raises(QueryError):
        filled.listing.unread_count('subject:"open')
