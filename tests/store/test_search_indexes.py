"""Filters that few messages pass are answered from partial indexes (schema 7), not by reading
every row: the plans SQLite picks for them, and the same pages whichever way a search walks."""

from __future__ import annotations

import pytest

from tests.store.builders import make_raw
from tests.support.cache import sql
from tui_mail.model import Flags
from tui_mail.store import NewMessage, Store


def _with_attachment(raw: bytes, n: int) -> bytes:
    head, body = raw.split(b"\r\n\r\n", 1)
    return (head + b"\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n"
            b"Content-Type: text/plain\r\n\r\n" + body + b"--x\r\n"
            b"Content-Type: application/pdf\r\nContent-Disposition: attachment;"
            + f' filename="bill{n}.pdf"\r\n\r\nPDF\r\n--x--\r\n'.encode())


@pytest.fixture
def flagged(store: Store) -> Store:
    """40 messages saying "common" in two accounts: every seventh flagged, every fifth in
    Archive, every fourth with an attachment."""
    for n in range(40):
        raw = make_raw(n, body=f"common words, number{n}")
        if n % 4 == 0:
            raw = _with_attachment(raw, n)
        store.add_messages(
            "home" if n % 2 else "work",
            "Archive" if n % 5 == 0 else "INBOX",
            [NewMessage(uid=n, flags=Flags(seen=True, flagged=n % 7 == 0), raw=raw)],
        )
    return store


def _numbers(rows: list) -> list[int]:
    return [int(m.subject.split()[-1]) for m in rows]


def _plans(store: Store, query: str, **scope: str) -> list[str]:
    """The query plan of every message query a search runs (EXPLAIN QUERY PLAN of each)."""
    with store.traced() as statements:
        store.listing.search(query, **scope)  # type: ignore[arg-type]
    plans = []
    for statement in statements:
        if statement.lstrip().upper().startswith("SELECT") and "messages m" in statement:
            plans.append(" | ".join(r[3] for r in sql(store, f"EXPLAIN QUERY PLAN {statement}")))
    return plans


@pytest.mark.parametrize("scope", [{}, {"account": "work"}, {"account": "work", "folder": "INBOX"}],
                         ids=["everywhere", "account", "folder"])
def test_a_flagged_filter_reads_the_flagged_index_and_nothing_else(
        flagged: Store, scope: dict[str, str]) -> None:
    plans = _plans(flagged, "is:flagged has:attachment", **scope)
    assert plans, "no message query ran"
    steps = [step for plan in plans for step in plan.split(" | ")
             if step.startswith(("SCAN m", "SEARCH m "))]
    assert steps and all("INDEX messages_flagged" in step for step in steps), plans


def test_a_scoped_search_names_its_folders_so_their_indexes_serve_it(flagged: Store) -> None:
    """An account's scope is a set of folders, not a join on the account's name (which had
    SQLite read the account's rows by another index and sort them)."""
    plans = _plans(flagged, "is:flagged", account="work")
    assert any("messages_flagged (folder_id=?" in plan for plan in plans), plans


@pytest.mark.parametrize(
    ("query", "scope", "wanted"),
    [
        ("is:flagged", {}, lambda n: n % 7 == 0),
        ("is:flagged", {"account": "work"}, lambda n: n % 7 == 0 and n % 2 == 0),
        ("is:flagged", {"account": "home", "folder": "Archive"},
         lambda n: n % 7 == 0 and n % 2 and n % 5 == 0),
        ("is:flagged folder:Archive", {}, lambda n: n % 7 == 0 and n % 5 == 0),
        ("is:flagged account:home", {}, lambda n: n % 7 == 0 and n % 2),
        ("common is:flagged", {}, lambda n: n % 7 == 0),
        ("is:flagged -number14", {}, lambda n: n % 7 == 0 and n != 14),
        ("is:flagged is:unread", {}, lambda n: False),
    ],
)
def test_searches_through_the_flagged_index_page_like_any_other(
        flagged: Store, query: str, scope: dict[str, str], wanted: object) -> None:
    expected = [n for n in range(39, -1, -1) if wanted(n)]  # type: ignore[operator]
    got: list[int] = []
    before = None
    while True:
        page = flagged.listing.search(query, limit=2, before_key=before, **scope)  # type: ignore[arg-type]
        got += _numbers(page)
        if len(page) < 2:
            break
        before = page[-1].id
    assert got == expected


def test_the_partial_indexes_follow_flag_changes(flagged: Store) -> None:
    assert _numbers(flagged.listing.search("is:flagged has:attachment", limit=100)) == [28, 0]
    flagged.update_flags("home", "INBOX", {3: Flags(flagged=True)})
    assert _numbers(flagged.listing.search("is:flagged is:unread", limit=100)) == [3]
    flagged.update_flags("work", "INBOX", {28: Flags(seen=True)})
    assert _numbers(flagged.listing.search("is:flagged has:attachment", limit=100)) == [0]


def test_a_cache_without_the_partial_indexes_opened_read_only_still_answers(
        flagged: Store) -> None:
    """A read-only open does not migrate: a cache from before schema 7 has no such index."""
    expected = _numbers(flagged.listing.search("is:flagged"))
    sql(flagged, "DROP INDEX messages_flagged")
    old = Store.open(flagged.path, readonly=True)
    try:
        assert _numbers(old.listing.search("is:flagged")) == expected
    finally:
        old.close()
