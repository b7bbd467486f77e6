from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tui_mail.errors import CacheError
from tui_mail.store import Store
from tui_mail.store.schema import MIGRATIONS, schema_version


def test_open_creates_the_folder_and_migrates_to_the_latest_version(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "dir" / "mail.db"
    with Store.open(path):
        pass
    conn = sqlite3.connect(path)
    assert schema_version(conn) == len(MIGRATIONS)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {
        "accounts",
        "folders",
        "messages",
        "bodies",
        "fts",
        "outbox",
        "actions",
        "pop3_uidl",
        "drafts",
    } <= tables


def test_reopen_keeps_data_and_does_not_migrate_again(tmp_path: Path) -> None:
    path = tmp_path / "mail.db"
    with Store.open(path) as s:
        s.ensure_folder("work", "INBOX")
    with Store.open(path) as s:
        assert [f.name for f in s.folders("work")] == ["INBOX"]


def test_a_file_that_is_not_a_database_names_the_path_and_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "mail.db"
    path.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(CacheError) as err:
        Store.open(path)
    assert str(path) in str(err.value)
    assert "move it aside" in str(err.value)


def test_a_newer_schema_is_refused_with_an_explanation(tmp_path: Path) -> None:
    path = tmp_path / "mail.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 5}")
    conn.close()
    with pytest.raises(CacheError, match="newer than this tui-mail"):
        Store.open(path)


def test_a_reader_sees_what_the_writer_committed(tmp_path: Path) -> None:
    path = tmp_path / "mail.db"
    with Store.open(path) as writer, Store.open(path, readonly=True) as reader:
        writer.ensure_folder("work", "INBOX")
        assert reader.folder("work", "INBOX") is not None
