"""Bodies stored in batches (`Store.set_bodies`) and the list of what is still wanted."""

from __future__ import annotations

from tests.store.builders import make_raw
from tests.support.cache import sql
from tui_mail.store import NewMessage, Store
from tui_mail.store.extract import body_text

WORDS = ["zanzibar", "quokka", "marimba", "tamarind", "obsidian", "gazpacho"]


def headers_only(store: Store, count: int) -> tuple[list[int], list[bytes]]:
    raws = [make_raw(n, body=f"message {n} mentions {WORDS[n % len(WORDS)]}{n}")
            for n in range(1, count + 1)]
    ids = store.add_messages("work", "INBOX", [
        NewMessage(uid=n, raw_headers=raw.split(b"\r\n\r\n")[0] + b"\r\n\r\n", size=len(raw))
        for n, raw in zip(range(1, count + 1), raws, strict=True)])
    return ids, raws


def test_a_batch_of_bodies_is_stored_and_each_is_found_by_its_own_words(store: Store) -> None:
    ids, raws = headers_only(store, 30)
    batch = [(row, raw, body_text(raw)) for row, raw in zip(ids, raws, strict=True)]
    store.set_bodies(batch[::-1])  # newest first, as a download writes them
    for n, (row, raw) in enumerate(zip(ids, raws, strict=True), start=1):
        assert store.raw_message(row) == raw
        assert [m.id for m in store.listing.search(f"{WORDS[n % len(WORDS)]}{n}")] == [row]
    assert store.missing_bodies("work") == (0, 0)
    assert sql(store, "INSERT INTO fts(fts) VALUES('integrity-check')").fetchall() == []


def test_what_is_wanted_is_read_newest_first_from_where_the_last_read_stopped(
        store: Store) -> None:
    ids, raws = headers_only(store, 10)
    store.set_bodies([(ids[8], raws[8], body_text(raws[8]))])
    newest = store.bodies_wanted("work", 10**9, limit=3)
    assert [uid for _, _, uid, _ in newest] == [10, 8, 7]  # 9 is cached
    rest = store.bodies_wanted("work", 10**9, below=newest[-1][0], limit=100)
    assert [uid for _, _, uid, _ in rest] == [6, 5, 4, 3, 2, 1]
    assert all(size == len(raws[uid - 1]) for _, _, uid, size in rest)


def test_a_body_whose_row_was_expunged_meanwhile_is_dropped_not_kept_as_an_orphan(
        store: Store) -> None:
    ids, raws = headers_only(store, 3)
    store.remove_uids("work", "INBOX", [2])
    store.set_bodies([(row, raw, body_text(raw)) for row, raw in zip(ids, raws, strict=True)],
                     {row: uid for uid, row in enumerate(ids, start=1)})
    assert store.raw_message(ids[0]) == raws[0] and store.raw_message(ids[2]) == raws[2]
    assert sql(store, "SELECT count(*) FROM bodies WHERE id = ?",
                               (ids[1],)).fetchone() == (0,)


def test_a_body_is_not_written_onto_a_row_that_now_holds_another_uid(store: Store) -> None:
    ids, raws = headers_only(store, 2)
    sql(store, "UPDATE messages SET uid = 77 WHERE id = ?", (ids[0],))
    store.set_bodies([(ids[0], raws[0], body_text(raws[0]))], {ids[0]: 1})
    assert store.raw_message(ids[0]) is None
    assert store.missing_bodies("work")[0] == 2
