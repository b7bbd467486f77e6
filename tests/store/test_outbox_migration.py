"""A version-2 cache with messages in its outbox migrates to the exactly-once outbox (v3)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tui_mail.store import Store
from tui_mail.store.schema import MIGRATIONS, schema_version, split_statements

MAY_HAVE_BEEN_SENT = ("an earlier attempt was interrupted and this account has no IMAP Sent folder "
                      "to check, so the message may already have been sent. `tui-mail outbox "
                      "retry 4` sends it again")


def version_2_cache(path: Path) -> None:
    """A cache as tui-mail with schema version 2 left it, with rows in every old state; ids 2
    and 6 were used and removed (the old table would hand out 6 again)."""
    conn = sqlite3.connect(path, isolation_level=None)
    for script in MIGRATIONS[:2]:
        for statement in split_statements(script):
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 2")
    rows = [
        (1, "queued", 0, None, None),
        (3, "sending", 0, None, 1_900_000_000),  # lease of an attempt that may have got a 250
        (4, "held", 1, MAY_HAVE_BEEN_SENT, None),
        (5, "failed", 2, "451 try later", 1_750_000_600),
    ]
    for entry_id, state, attempts, error, next_at in rows:
        conn.execute(
            "INSERT INTO outbox(id, account, raw, mail_from, rcpts, message_id, state, attempts,"
            " last_error, next_attempt_at, created_at) VALUES (?, 'work', ?, 'me@x.test', ?, ?,"
            " ?, ?, ?, ?, 1750000000)",
            (entry_id, f"Subject: {entry_id}\r\n\r\nbody\r\n".encode(), json.dumps(["b@x.test"]),
             f"<{entry_id}@x.test>", state, attempts, error, next_at),
        )
    conn.close()


def test_a_version_2_outbox_keeps_its_rows_and_never_reuses_an_id(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    version_2_cache(path)
    with Store.open(path) as store:
        entries = {e.id: e for e in store.queues.outbox_list()}
        assert sorted(entries) == [1, 3, 4, 5]
        assert {i: e.state for i, e in entries.items()} == {
            1: "queued", 3: "committing", 4: "unsure", 5: "failed"}
        assert entries[3].next_attempt_at is None  # no lease any more
        assert entries[5].attempts == 2 and entries[5].last_error == "451 try later"
        assert entries[5].next_attempt_at is not None
        assert entries[5].next_attempt_at.timestamp() == 1_750_000_600
        assert entries[1].raw == b"Subject: 1\r\n\r\nbody\r\n" and entries[1].rcpts == ("b@x.test",)
        assert (entries[1].origin_message_id, entries[1].origin_kind) == ("", "")
        assert not entries[1].partial and not entries[1].notified
        store.queues.outbox_remove(5)
        new = store.queues.outbox_add("work", b"x", "me@x.test", ["b@x.test"], "<new@x.test>",
                               "<orig@x.test>", "reply")
        assert new == 6  # after the highest id that remained, and then never again
        store.queues.outbox_remove(new)
        assert store.queues.outbox_add("work", b"y", "me@x.test", ["b@x.test"], "<y@x.test>") == 7
        item = store.queues.outbox_get(7)
        assert item is not None and item.origin_kind == ""
    conn = sqlite3.connect(path)
    assert schema_version(conn) == len(MIGRATIONS) >= 3
    assert "AUTOINCREMENT" in conn.execute(
        "SELECT sql FROM sqlite_master WHERE name = 'outbox'").fetchone()[0]
    conn.close()


def test_a_new_cache_hands_out_outbox_ids_that_are_never_reused(tmp_path: Path) -> None:
    with Store.open(tmp_path / "cache.sqlite3") as store:
        first = store.queues.outbox_add("work", b"x", "me@x.test", ["b@x.test"], "<1@x.test>")
        store.queues.outbox_remove(first)
        assert store.queues.outbox_add("work", b"x", "me@x.test", ["b@x.test"], "<2@x.test>") == first + 1
