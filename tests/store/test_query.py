from __future__ import annotations

import sqlite3
from datetime import datetime

import pytest

from tests.store.builders import make_raw
from tui_mail.errors import QueryError
from tui_mail.model import Flags
from tui_mail.store import NewMessage, Store, listing
from tui_mail.store.query import compile_query, place_fields, read_query


@pytest.fixture
def mail(store: Store) -> Store:
    """Six messages with known words, senders, flags, dates and folders."""
    rows = [
        (
            1,
            "Alice <alice@example.com>",
            "Quarterly report",
            "numbers for q3 report attached",
            "Wed, 10 Jan 2024 09:00:00 +0000",
            Flags(seen=True),
            "INBOX",
            "work",
        ),
        (
            2,
            "Bob <bob@example.org>",
            "Lunch",
            "pizza or sushi today",
            "Sat, 10 Feb 2024 09:00:00 +0000",
            Flags(),
            "INBOX",
            "work",
        ),
        (
            3,
            "Carol <carol@example.net>",
            "Report draft",
            "the report is late, reporting soon",
            "Sun, 10 Mar 2024 09:00:00 +0000",
            Flags(flagged=True, seen=True),
            "INBOX",
            "work",
        ),
        (
            4,
            "Alice <alice@example.com>",
            "Holiday",
            "photos from the beach",
            "Wed, 10 Apr 2024 09:00:00 +0000",
            Flags(answered=True, seen=True),
            "Archive",
            "work",
        ),
        (
            5,
            "Dave <dave@home.example>",
            "Re: Lunch",
            "sushi it is",
            "Fri, 10 May 2024 09:00:00 +0000",
            Flags(),
            "INBOX",
            "home",
        ),
        (
            6,
            "Eve <eve@example.com>",
            "Invoice",
            "see attachment",
            "Mon, 10 Jun 2024 09:00:00 +0000",
            Flags(seen=True),
            "INBOX",
            "home",
        ),
    ]
    for n, sender, subject, body, date, flags, folder, account in rows:
        extra = "Content-Type: multipart/mixed; boundary=x" if n == 6 else ""
        raw = make_raw(
            n,
            sender=sender,
            subject=subject,
            body=body,
            date=date,
            extra=extra,
            to="Team <team@example.com>" if n != 2 else "Zed <zed@example.com>",
        )
        if n == 6:
            raw = raw.replace(
                b"\r\n\r\nsee attachment\r\n",
                b"\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nsee attachment\r\n--x\r\n"
                b"Content-Type: application/pdf\r\nContent-Disposition: attachment;"
                b' filename="bill.pdf"\r\n\r\nPDF\r\n--x--\r\n',
            )
        store.add_messages(account, folder, [NewMessage(uid=n, flags=flags, raw=raw)])
    return store


def subjects(store: Store, query: str) -> list[str]:
    return [m.subject for m in store.listing.search(query)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("report", ["Report draft", "Quarterly report"]),
        ('"q3 report"', ["Quarterly report"]),
        ("report*", ["Report draft", "Quarterly report"]),
        ("report -late", ["Quarterly report"]),
        ("report not late", ["Quarterly report"]),
        ("pizza or beach", ["Holiday", "Lunch"]),
        ("(pizza OR beach) alice", ["Holiday"]),
        ("from:alice", ["Holiday", "Quarterly report"]),
        ("from:alice@example.com report", ["Quarterly report"]),
        ("to:zed", ["Lunch"]),
        ("subject:report", ["Report draft", "Quarterly report"]),
        ("body:sushi", ["Re: Lunch", "Lunch"]),
        ("has:attachment", ["Invoice"]),
        ("attachment:bill", ["Invoice"]),
        ("is:unread", ["Re: Lunch", "Lunch"]),
        ("is:read -is:flagged", ["Invoice", "Holiday", "Quarterly report"]),
        ("is:flagged", ["Report draft"]),
        ("is:unflagged is:unread", ["Re: Lunch", "Lunch"]),
        ("is:replied", ["Holiday"]),
        ("date:2024-02..2024-03", ["Report draft", "Lunch"]),
        ("date:2024-02-01..2024-03-31 report", ["Report draft"]),
        ("date:2024-04", ["Holiday"]),
        ("before:2024-02-01", ["Quarterly report"]),
        ("after:2024-06-01", ["Invoice"]),
        ("folder:archive", ["Holiday"]),
        ("in:INBOX from:alice", ["Quarterly report"]),
        ("account:home", ["Invoice", "Re: Lunch"]),
        ("account:home or is:flagged", ["Invoice", "Re: Lunch", "Report draft"]),
        ("-from:alice -from:bob is:read", ["Invoice", "Report draft"]),
        ("", ["Invoice", "Re: Lunch", "Holiday", "Report draft", "Lunch", "Quarterly report"]),
    ],
)
def test_each_operator_finds_what_it_says(mail: Store, query: str, expected: list[str]) -> None:
    assert subjects(mail, query) == expected


def test_relative_dates_count_back_from_now() -> None:
    now = datetime(2024, 6, 30).timestamp()
    q = compile_query("date:7d..", now=now)
    assert q.match is None and q.params == [int(now - 7 * 86400) * 1024]
    older = compile_query("date:..2w", now=now)
    assert older.where == ["(m.id < ?)"] and older.params == [int(now - 14 * 86400) * 1024]


def test_results_page_newest_first_with_before_key(mail: Store) -> None:
    first = mail.listing.search("", limit=4)
    rest = mail.listing.search("", limit=4, before_key=first[-1].id)
    assert [m.subject for m in rest] == ["Lunch", "Quarterly report"]


def test_account_and_folder_arguments_narrow_the_search(mail: Store) -> None:
    assert [m.subject for m in mail.listing.search("sushi", account="home")] == ["Re: Lunch"]
    assert [m.subject for m in mail.listing.search("alice", folder="Archive")] == ["Holiday"]


def test_fts_syntax_typed_by_the_user_is_searched_as_text(mail: Store) -> None:
    assert subjects(mail, "NEAR(report late)") == []  # "near" is a word, "(" groups
    assert subjects(mail, "report NEAR") == []
    assert subjects(mail, "subject:AND") == []
    assert subjects(mail, '"report" AND') == ["Report draft", "Quarterly report"]


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ('subject:"q3', "unclosed quote at column 9"),
        ("(report", "add a ')'"),
        ("report)", "unbalanced parenthesis at column 7"),
        ("is:sleepy", "unknown is:sleepy"),
        ("has:cats", "unknown has:cats"),
        ("date:2024-13", "bad date '2024-13'"),
        ("date:yesterdayish", "bad date"),
        ("report or", "a search term is missing at the end"),
        ("from:", "from: at column 1 needs a value"),
        ("not", "needs a term after it"),
        ("^^^", "no letters or digits"),
        ("subjet:report", "unknown field subjet: at column 1: did you mean subject:?"),
        ("late -form:bob", "unknown field form: at column 7: did you mean from:?"),
        ("attachement:pdf", 'put it in quotes: "attachement:…"'),
    ],
)
def test_malformed_queries_say_where_and_why(mail: Store, query: str, words: str) -> None:
    with pytest.raises(QueryError) as err:
        mail.listing.search(query)
    assert words in str(err.value)


def test_a_colon_after_a_word_unlike_any_field_or_in_a_url_or_quotes_is_still_text(mail: Store) -> None:
    for query in ("Re: report", "https://example.com/report", '"subjet:foo"', "report:",
                  "Re:report", "JIRA:ABC-1", "bogus:foo", "ssh://host"):
        mail.listing.search(query)  # no QueryError


def test_the_query_says_when_it_names_where_to_look() -> None:
    assert place_fields("folder:Archive report") == {"folder"}
    assert place_fields("in:trash or account:home") == {"in", "account"}
    assert place_fields("from:folder report") == set()
    assert place_fields('subject:"unclosed') == set()



def test_a_query_read_once_carries_its_place_its_sql_and_its_words() -> None:
    query = read_query('folder:Archive "quarterly report" -draft from:ann', now=0)
    assert query.text == 'folder:Archive "quarterly report" -draft from:ann'
    assert query.place_fields == {"folder"}
    assert query.terms == ("quarterly report", "ann")  # not the negated word
    assert query.compiled == compile_query(query.text, now=0)


def test_reading_a_malformed_query_says_where_and_why_as_the_search_does(mail: Store) -> None:
    with pytest.raises(QueryError) as read:
        read_query("late -form:bob")
    with pytest.raises(QueryError) as searched:
        mail.listing.search("late -form:bob")
    assert str(read.value) == str(searched.value)


def test_the_listing_takes_a_query_read_once_as_it_takes_the_text(mail: Store) -> None:
    for text in ("report", "from:alice", "is:unread -report"):
        assert mail.listing.search(read_query(text)) == mail.listing.search(text)


NASTY = [
    '"; DROP TABLE messages; --',
    "'; DROP TABLE messages; --",
    'report" OR 1=1 --',
    "NEAR(report late, 2)",
    "{subject body}: report",
    "subject : report",
    "^report",
    "report*:",
    "* * *",
    "-",
    "--report",
    "((((((((report))))))))",
    ")))(((",
    '""""',
    "\x00\x1b[31m",
    'from:""',
    "date:..",
    "date:9999-12..",
    "date:0000-01",
    'in:"; DELETE FROM folders',
    "report NOT",
    "OR OR OR",
    "AND report",
    "body:*",
    "rep\u202ert",
    "a" * 5000,
    "x:y:z",
    "is:",
    "%_%",
    "\\",
]


@pytest.mark.parametrize("query", NASTY)
def test_hostile_queries_give_results_or_a_query_error_never_sql_errors(
    mail: Store, query: str
) -> None:
    try:
        mail.listing.search(query)
    except QueryError:
        pass
    except sqlite3.Error as exc:  # pragma: no cover - the failure being tested for
        pytest.fail(f"SQL error for {query!r}: {exc}")
    assert len(mail.listing.search("")) == 6  # nothing was dropped or changed


def test_date_filters_become_an_id_range_beside_the_text() -> None:
    q = compile_query("date:2024-02..2024-03 after:2024-02-15 report is:unread")
    assert q.match == '("report")'
    assert q.id_low == int(datetime(2024, 2, 15).timestamp()) * 1024
    assert q.id_high == int(datetime(2024, 4, 1).timestamp()) * 1024
    assert q.filters == ["((m.flags & 1) = 0)"] and q.filter_params == []
    assert len(q.where) == 3  # the date conditions are still there for SQL-only searches


def test_contradicting_dates_find_nothing(mail: Store) -> None:
    assert subjects(mail, "after:2024-06-01 before:2024-01-01") == []
    assert subjects(mail, "after:2024-06-01 before:2024-01-01 report") == []


@pytest.fixture
def many(store: Store) -> Store:
    """60 messages that all say "common": every third unread, every fifth in Archive."""
    for n in range(60):
        store.add_messages(
            "work",
            "Archive" if n % 5 == 0 else "INBOX",
            [
                NewMessage(
                    uid=n,
                    flags=Flags(seen=n % 3 != 0),
                    raw=make_raw(n, body=f"common words, number{n}"),
                )
            ],
        )
    return store


def _uid_numbers(rows: list) -> list[int]:
    return [int(m.subject.split()[-1]) for m in rows]


@pytest.mark.parametrize(
    ("first", "biggest", "budget"),
    [(100, 1600, 4000), (1, 1, 1), (2, 8, 5), (3, 4, 20)],
    ids=["defaults", "fallback-at-once", "fallback-after-chunks", "chunks-only"],
)
@pytest.mark.parametrize(
    ("query", "wanted"),
    [
        ("common is:unread", lambda n: n % 3 == 0),
        ("common folder:Archive", lambda n: n % 5 == 0),
        ("common is:unread folder:Archive", lambda n: n % 15 == 0),
        ("common date:2020-01-05..2020-02-10 is:read", lambda n: 4 <= n <= 37 and n % 3 != 0),
        ("common -number7 is:read", lambda n: n != 7 and n % 3 != 0),
        ("is:unread folder:Archive", lambda n: n % 15 == 0),
        ("folder:Archive before:2020-02-01", lambda n: n <= 27 and n % 5 == 0),
        ("-number7 -number8 is:read", lambda n: n not in (7, 8) and n % 3 != 0),
    ],
)
def test_filtered_search_gives_the_same_pages_whichever_way_it_walks(
    many: Store,
    monkeypatch: pytest.MonkeyPatch,
    first: int,
    biggest: int,
    budget: int,
    query: str,
    wanted: object,
) -> None:
    monkeypatch.setattr(listing, "WALK_FIRST_CHUNK", first)
    monkeypatch.setattr(listing, "WALK_MAX_CHUNK", biggest)
    monkeypatch.setattr(listing, "WALK_BUDGET", budget)
    expected = [n for n in range(59, -1, -1) if wanted(n)]  # type: ignore[operator]
    got: list[int] = []
    before = None
    while True:
        page = many.listing.search(query, limit=4, before_key=before)
        got += _uid_numbers(page)
        if len(page) < 4:
            break
        before = page[-1].id
    assert got == expected


def test_a_date_range_bounds_a_plain_text_search(many: Store) -> None:
    rows = many.listing.search("common date:2020-01-05..2020-01-10", limit=3)
    assert _uid_numbers(rows) == [9, 8, 7]
    rows = many.listing.search("common date:2020-01-05..2020-01-10", before_key=rows[-1].id)
    assert _uid_numbers(rows) == [6, 5, 4]
