"""A cache that cannot be used says so in one CacheError: what happened, which file, what to
do. Each failure is made for real: a full tmpfs, pages overwritten with noise, a file of
another program, a read-only bind mount, the write-ahead log deleted under an open writer."""

from __future__ import annotations

import os
import random
import sqlite3
from pathlib import Path

import pytest

from tests.store.builders import make_raw
from tests.support.mounts import fill, read_only, small_disk
from tui_mail.errors import CacheError
from tui_mail.model import Flags
from tui_mail.store import NewMessage, Store
from tui_mail.store.failures import cache_error, wal_path


def new_message(n: int, body_bytes: int = 200) -> NewMessage:
    body = random.Random(n).randbytes(body_bytes // 2).hex()
    raw = make_raw(n, body=body)
    return NewMessage(uid=n, flags=Flags(), raw=raw, size=len(raw))


def fill_until_full(store: Store, folder: str = "INBOX") -> CacheError:
    """Add batches of messages until the disk is full; the CacheError that stopped it."""
    for batch in range(1000):
        try:
            store.add_messages("work", folder, [new_message(batch * 20 + i, 6000)
                                                for i in range(1, 21)])
        except CacheError as exc:
            return exc
    raise AssertionError("the disk never filled up")


def damage(path: Path, start_page: int, seed: int = 7) -> None:
    """Overwrite every page of `path` from `start_page` on with noise (page 1 is page 0)."""
    noise = random.Random(seed)
    size = path.stat().st_size
    with path.open("r+b") as fh:
        for offset in range(start_page * 4096, size, 4096):
            fh.seek(offset)
            fh.write(noise.randbytes(4096))


def checkpointed_cache(path: Path, messages: int = 300) -> None:
    """A cache with `messages` messages, everything in the main file (no -wal left)."""
    with Store.open(path) as store:
        store.add_messages("work", "INBOX", [new_message(i) for i in range(1, messages + 1)])
    assert not wal_path(path).exists()


# ---- a full disk ---------------------------------------------------------------------------


def test_a_full_disk_is_one_cache_error_that_names_the_file_and_loses_nothing(tmp_path: Path) -> None:
    with small_disk(tmp_path / "small", "512k") as disk:
        path = disk / "cache.sqlite3"
        store = Store.open(path)
        error = fill_until_full(store)
        cached = store.folder("work", "INBOX")
        assert cached is not None
        store.close()

        assert str(error) == (
            f"the disk holding {path} is full: nothing was lost, the last change was not "
            "saved; free some space and try again"
        )
        # The failed batch left no trace and the cache is whole.
        with Store.open(path) as again:
            assert again.integrity_ok()
            assert again.folder("work", "INBOX") == cached
            assert len(again.uid_flags("work", "INBOX")) == cached.total


def test_a_commit_that_fails_on_a_full_disk_is_not_hidden_by_the_rollback_after_it(
        tmp_path: Path) -> None:
    # SQLite rolls back by itself when COMMIT finds the disk full; the ROLLBACK that follows
    # then fails with "no transaction is active", which used to replace the real error.
    with small_disk(tmp_path / "small", "512k") as disk, \
            Store.open(disk / "cache.sqlite3") as store:
        error = fill_until_full(store)
    assert "is full" in str(error)
    assert "no transaction" not in str(error)
    assert isinstance(error.__cause__, sqlite3.OperationalError)


def test_a_new_cache_on_a_full_disk_leaves_no_empty_file_behind(tmp_path: Path) -> None:
    with small_disk(tmp_path / "small", "256k") as disk:
        fill(disk, leave=8192)
        path = disk / "cache.sqlite3"
        with pytest.raises(CacheError) as err:
            Store.open(path)
        assert f"the disk holding {path} is full" in str(err.value)
        assert not path.exists() or path.stat().st_size > 0


# ---- a damaged file, a foreign file, an empty file --------------------------------------------


def test_pages_overwritten_with_noise_are_reported_as_a_damaged_cache(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    checkpointed_cache(path)
    damage(path, start_page=1)

    with pytest.raises(CacheError) as err:
        Store.open(path)

    text = str(err.value)
    assert text.startswith(f"the cache {path} is damaged (database disk image is malformed)")
    assert f"mv {path} {path}.damaged" in text and "tui-mail sync" in text


def test_damage_found_by_a_search_is_a_cache_error_too(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    checkpointed_cache(path, messages=1500)
    size = path.stat().st_size
    damage(path, start_page=size // 4096 // 2)  # the folder table survives, the rest not

    with Store.open(path) as store, pytest.raises(CacheError, match="is damaged"):
        store.listing.search("hello", limit=5000)


def test_a_file_of_another_program_is_not_called_a_damaged_cache(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40)

    with pytest.raises(CacheError) as err:
        Store.open(path)

    assert str(err.value).startswith(f"{path} is not a tui-mail cache (file is not a database)")
    assert "move it aside" in str(err.value)
    assert path.read_bytes().startswith(b"\x89PNG")  # untouched


def test_an_empty_cache_file_is_reported_not_silently_made_a_new_cache(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    path.touch()

    with pytest.raises(CacheError) as err:
        Store.open(path)

    assert str(err.value) == (
        f"the cache {path} is empty (0 bytes), most likely cut short by a crash or a full "
        f"disk: remove it (rm {path}) and run `tui-mail sync` to build it again"
    )
    assert path.stat().st_size == 0
    with pytest.raises(CacheError, match="is empty"):
        Store.open(path, readonly=True)


def test_a_path_that_does_not_exist_yet_becomes_a_new_cache(tmp_path: Path) -> None:
    path = tmp_path / "new" / "cache.sqlite3"
    with Store.open(path) as store:
        store.ensure_folder("work", "INBOX")
    with Store.open(path) as store:
        assert [f.name for f in store.folders()] == ["INBOX"]


def test_a_folder_where_the_cache_file_should_be_is_named(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    path.mkdir()
    with pytest.raises(CacheError, match="is a folder, not a file"):
        Store.open(path)


# ---- read-only ---------------------------------------------------------------------------------


def test_a_read_only_cache_file_stops_a_writer_at_open_with_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    checkpointed_cache(path, messages=5)
    with read_only(path):
        with pytest.raises(CacheError) as err:
            Store.open(path)
        assert str(err.value).startswith(
            f"the cache {path} cannot be written (attempt to write a readonly database):"
            " nothing was changed")
        assert str(tmp_path) in str(err.value) and "writable" in str(err.value)
        # Reading it still works (the interface's read connections).
        with Store.open(path, readonly=True) as reader:
            assert reader.folder("work", "INBOX") is not None


def test_a_new_cache_in_a_read_only_folder_names_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    with read_only(folder), pytest.raises(CacheError) as err:
        Store.open(folder / "cache.sqlite3")
    assert str(err.value).startswith(
        f"the folder {folder} holding the cache cache.sqlite3 is read-only")


def test_sqlites_own_read_only_error_is_translated_the_same_way(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    checkpointed_cache(path, messages=1)
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        with pytest.raises(sqlite3.OperationalError) as raw:  # (no trigger: none needs tm_text)
            conn.execute("DELETE FROM folders")
    finally:
        conn.close()
    assert str(raw.value) == "attempt to write a readonly database"
    error = cache_error(raw.value, path)
    assert error is not None and "cannot be written" in str(error) and str(path) in str(error)


def test_an_error_that_is_not_about_the_file_is_left_alone(tmp_path: Path) -> None:
    conn = sqlite3.connect(":memory:")
    with pytest.raises(sqlite3.OperationalError) as raw:
        conn.execute("SELECT nothing FROM nowhere")
    assert cache_error(raw.value, tmp_path / "cache.sqlite3") is None


# ---- the write-ahead log deleted under a running writer ---------------------------------------


def test_a_deleted_journal_is_noticed_what_was_written_is_kept_and_writing_stops(
        tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    writer = Store.open(path)
    writer.ensure_folder("work", "INBOX")
    writer.add_messages("work", "INBOX", [new_message(i) for i in range(1, 11)])
    os.remove(wal_path(path))

    with pytest.raises(CacheError) as err:
        writer.ensure_folder("work", "Later")
    assert str(err.value) == (
        f"the cache's journal {wal_path(path)} was deleted while tui-mail was writing the "
        f"cache: everything written before was saved into {path}, the last change was not; "
        "quit tui-mail and start it again to go on"
    )
    with pytest.raises(CacheError, match="was deleted"):  # and it stays stopped
        writer.set_flags_local([1], seen=True)
    writer.close()

    with Store.open(path) as again:
        assert len(again.uid_flags("work", "INBOX")) == 10
        assert again.folder("work", "Later") is None
        assert again.integrity_ok()


def test_a_program_opening_the_cache_after_its_journal_was_deleted_is_told_why(
        tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    writer = Store.open(path)
    writer.add_messages("work", "INBOX", [new_message(i) for i in range(1, 11)])
    os.remove(wal_path(path))
    try:
        with pytest.raises(CacheError) as err:
            Store.open(path, readonly=True)
        assert f"its journal {wal_path(path)} was deleted while another tui-mail" in str(err.value)
    finally:
        writer.close()  # saves the deleted journal's content into the cache file
    with Store.open(path, readonly=True) as reader:
        assert len(reader.uid_flags("work", "INBOX")) == 10


def test_a_journal_deleted_after_the_last_write_is_saved_at_close(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    writer = Store.open(path)
    reader = Store.open(path, readonly=True)  # keeps SQLite from saving it by itself at close
    writer.add_messages("work", "INBOX", [new_message(i) for i in range(1, 6)])
    os.remove(wal_path(path))
    writer.close()
    reader.close()
    with Store.open(path) as again:
        assert len(again.uid_flags("work", "INBOX")) == 5
