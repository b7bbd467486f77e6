"""Stored messages and search text are compressed, and caches written before still read."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.store.builders import make_raw
from tests.support.cache import sql
from tui_mail.errors import CacheError
from tui_mail.store import NewMessage, Store
from tui_mail.store.blobs import MAGIC, pack, pack_text, text_of, unpack
from tui_mail.store.failures import cache_error
from tui_mail.store.schema import MIGRATIONS, split_statements

LONG_BODY = "the quarterly report and the budget review " * 40 + "kumquat"


def _stored(store: Store, column: str, row_id: int) -> bytes:
    return bytes(sql(store, f"SELECT {column} FROM bodies WHERE id = ?",
                                     (row_id,)).fetchone()[0])


def _fts_hits(store: Store, word: str) -> list[int]:
    return [r[0] for r in sql(store, "SELECT rowid FROM fts WHERE fts MATCH ?",
                                              (word,))]


def test_packed_bytes_unpack_to_the_same_bytes() -> None:
    raw = make_raw(1, body=LONG_BODY)
    packed = pack(raw)
    assert packed.startswith(MAGIC) and len(packed) < len(raw) / 2
    assert unpack(packed) == raw


def test_bytes_that_do_not_shrink_are_kept_as_they_are_unless_they_start_with_nul() -> None:
    assert pack(b"To: a\r\n\r\nx") == b"To: a\r\n\r\nx"
    odd = MAGIC + b"not compressed at all"
    assert pack(odd).startswith(MAGIC) and pack(odd) != odd
    assert unpack(pack(odd)) == odd


def test_search_text_is_packed_when_long_and_read_back_either_way() -> None:
    assert pack_text("short") == "short"
    packed = pack_text(LONG_BODY)
    assert isinstance(packed, bytes)
    assert text_of(packed) == LONG_BODY and text_of(LONG_BODY) == LONG_BODY


def test_a_cached_message_is_stored_compressed_and_reads_back_whole(store: Store) -> None:
    raw = make_raw(1, body=LONG_BODY)
    [row] = store.add_messages("work", "INBOX", [NewMessage(uid=1, raw=raw)])
    assert _stored(store, "raw", row).startswith(MAGIC)
    assert store.raw_message(row) == raw
    assert [m.id for m in store.listing.search("kumquat")] == [row]


def test_a_header_block_and_a_body_fetched_later_are_compressed_too(store: Store) -> None:
    raw = make_raw(1, body=LONG_BODY, extra="X-Long: " + "padding " * 60)
    head = raw.split(b"\r\n\r\n")[0] + b"\r\n\r\n"
    [row] = store.add_messages("work", "INBOX", [NewMessage(uid=1, raw_headers=head)])
    assert _stored(store, "headers", row).startswith(MAGIC)
    assert store.raw_headers(row) == head
    store.set_body(row, raw)
    assert store.raw_message(row) == raw and store.raw_headers(row) is None
    assert _fts_hits(store, "kumquat") == [row]


def test_removing_a_message_takes_its_packed_words_out_of_the_index(store: Store) -> None:
    [row] = store.add_messages("work", "INBOX", [NewMessage(uid=1, raw=make_raw(1, body=LONG_BODY))])
    store.remove_uids("work", "INBOX", [1])
    assert _fts_hits(store, "kumquat") == [] and _fts_hits(store, "quarterly") == []


def test_rows_of_a_cache_written_before_compression_still_read_and_delete(
    tmp_path: Path,
) -> None:
    """A cache of schema 5 (plain raw, plain search text, the old triggers) opened now: its
    rows read as they were, and removing one takes its words out of the index."""
    path = tmp_path / "old.db"
    raw = make_raw(1, body=LONG_BODY)
    with Store.open(path) as store:
        [row] = store.add_messages("work", "INBOX", [NewMessage(uid=1, raw=raw)])
    conn = sqlite3.connect(path, isolation_level=None)
    conn.create_function("tm_text", 1, text_of)
    conn.execute("UPDATE bodies SET raw = ? WHERE id = ?", (raw, row))
    conn.execute("UPDATE search_text SET body = ? WHERE id = ?", (LONG_BODY, row))
    conn.execute("PRAGMA user_version = 5")
    conn.close()
    with Store.open(path) as store:
        assert store.raw_message(row) == raw
        assert _fts_hits(store, "kumquat") == [row]
        store.remove_uids("work", "INBOX", [1])
        assert _fts_hits(store, "kumquat") == []


def test_a_damaged_compressed_message_is_a_cache_error_naming_it(store: Store) -> None:
    [row] = store.add_messages("work", "INBOX", [NewMessage(uid=1, raw=make_raw(1, body=LONG_BODY))])
    damaged = bytearray(_stored(store, "raw", row))
    damaged[len(damaged) // 2] ^= 0xFF
    sql(store, "UPDATE bodies SET raw = ? WHERE id = ?", (bytes(damaged), row))
    with pytest.raises(CacheError, match=f"message {row} in the cache is damaged"):
        store.raw_message(row)


def test_a_program_without_the_search_text_function_is_told_to_restart_not_internal_error(
        tmp_path: Path) -> None:
    path = tmp_path / "mail.db"
    store = Store.open(path)
    store.add_messages("work", "INBOX", [NewMessage(uid=1, raw=make_raw(1))])
    store.close()
    old_program = sqlite3.connect(path)  # as a tui-mail started before the upgrade connects
    with pytest.raises(sqlite3.OperationalError) as caught:
        old_program.execute("DELETE FROM messages")
    old_program.close()
    error = cache_error(caught.value, path)
    assert error is not None
    assert "upgraded by a newer tui-mail" in str(error) and "start it again" in str(error)


def test_a_cache_built_by_schema_5_itself_migrates_and_its_rows_search_and_delete(
        tmp_path: Path) -> None:
    """The v5 schema and triggers as an older tui-mail made them (not a newer file relabelled),
    one message in them, then opened by this tui-mail: schemas 6 to 8 apply over real data."""
    path = tmp_path / "v5.db"
    raw = make_raw(1, body=LONG_BODY)
    conn = sqlite3.connect(path, isolation_level=None)
    for script in MIGRATIONS[:5]:
        for statement in split_statements(script):
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 5")
    conn.execute("INSERT INTO accounts(id, name) VALUES (1, 'work')")
    conn.execute("INSERT INTO folders(id, account_id, name) VALUES (1, 1, 'INBOX')")
    conn.execute("INSERT INTO messages(id, account_id, folder_id, uid, subject, date, body_state)"
                 " VALUES (4096, 1, 1, 1, 'Old report', 4, 2)")
    conn.execute("INSERT INTO bodies(id, raw) VALUES (4096, ?)", (raw,))
    conn.execute("INSERT INTO search_text(id, subject, body) VALUES (4096, 'Old report', ?)",
                 (LONG_BODY,))
    conn.close()

    with Store.open(path) as store:
        assert sql(store, "PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert store.raw_message(4096) == raw
        assert _fts_hits(store, "kumquat") == [4096]
        assert store.missing_bodies("work") == (0, 0)
        [new] = store.add_messages("work", "INBOX", [NewMessage(uid=2, raw=make_raw(2))])
        store.remove_uids("work", "INBOX", [1])
        assert _fts_hits(store, "kumquat") == []
        docs = sql(store, "SELECT count(*) FROM fts_docsize").fetchone()[0]
        assert docs == 1 and store.raw_message(new) == make_raw(2)


def test_a_damaged_search_text_does_not_stop_the_expunge_of_its_batch(store: Store) -> None:
    rows = store.add_messages("work", "INBOX", [
        NewMessage(uid=n, raw=make_raw(n, body=LONG_BODY)) for n in (1, 2, 3)])
    packed = sql(store, "SELECT body FROM search_text WHERE id = ?",
                                 (rows[1],)).fetchone()[0]
    assert packed.startswith(MAGIC)
    damaged = bytearray(packed)
    damaged[len(damaged) // 2] ^= 0xFF
    sql(store, "DROP TRIGGER search_text_au")  # write the damage past the index
    sql(store, "UPDATE search_text SET body = ? WHERE id = ?", (bytes(damaged), rows[1]))
    store.remove_uids("work", "INBOX", [1, 2, 3])
    assert sql(store, "SELECT count(*) FROM messages").fetchone() == (0,)
    assert store.listing.search("kumquat") == []  # the damaged row's stale words lead nowhere
