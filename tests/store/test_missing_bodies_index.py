"""What the background download walks and what `search` counts as "not searchable yet" come
from the partial index of missing bodies (schema 8), not from reading every cached row: the
plans SQLite picks, and the answers as bodies arrive."""

from __future__ import annotations

from tests.store.builders import make_raw
from tests.support.cache import sql
from tui_mail.model import Flags
from tui_mail.store import NewMessage, Store


def _headers_only(store: Store, account: str, count: int) -> None:
    items = []
    for n in range(count):
        head = make_raw(n).split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"
        items.append(NewMessage(uid=n + 1, flags=Flags(seen=True), raw=None, raw_headers=head,
                                size=100 + n))
    store.add_messages(account, "INBOX", items)


def test_the_download_walks_the_index_of_missing_bodies_not_the_whole_cache(
        store: Store) -> None:
    _headers_only(store, "work", 30)
    with store.traced() as traced:
        store.bodies_wanted("work", 10_000)
        store.missing_bodies("work")
        store.missing_bodies()
    assert sum("body_state" in statement for statement in traced) == 3
    for statement in traced:
        if statement.startswith("SELECT") and "body_state" in statement:
            plan = sql(store, f"EXPLAIN QUERY PLAN {statement}").fetchall()
            details = " | ".join(row[-1] for row in plan)
            assert "messages_body_missing" in details, (statement, details)


def test_the_missing_bodies_shrink_as_bodies_arrive(store: Store) -> None:
    _headers_only(store, "work", 30)
    _headers_only(store, "home", 5)
    wanted = store.bodies_wanted("work", 10_000, limit=100)
    assert len(wanted) == 30
    assert [row[0] for row in wanted] == sorted((row[0] for row in wanted), reverse=True)
    assert store.missing_bodies("work")[0] == 30
    assert store.missing_bodies()[0] == 35
    assert store.missing_bodies("work", "INBOX")[0] == 30
    assert store.missing_bodies("nobody") == (0, 0)
    for row_id, _folder, uid, _size in wanted[:12]:
        store.set_body(row_id, make_raw(uid - 1))
    assert store.missing_bodies("work")[0] == 18
    assert len(store.bodies_wanted("work", 10_000, limit=100)) == 18
    below = store.bodies_wanted("work", 10_000, below=wanted[20][0], limit=100)
    assert [row[0] for row in below] == [row[0] for row in wanted[21:]]
