"""Only the user reads their mail: the cache folder is made 0700, the cache and its WAL 0600
whatever the umask, and a cache an earlier version left readable by everyone is closed up."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from tui_mail.model import FolderRole
from tui_mail.store.db import Store


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_cache_and_its_folder_are_the_users_alone(tmp_path: Path) -> None:
    old = os.umask(0o022)  # the usual umask, under which files come out world-readable
    try:
        path = tmp_path / "data" / "tui-mail" / "cache.sqlite3"
        with Store.open(path) as store:
            store.ensure_folder("work", "INBOX", FolderRole.INBOX)
            wal = path.with_name(path.name + "-wal")
            assert wal.exists() and mode(wal) == 0o600
        assert mode(path) == 0o600
        assert mode(path.parent) == 0o700
    finally:
        os.umask(old)


def test_a_cache_left_readable_by_everyone_is_closed_up_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    with Store.open(path) as store:
        store.ensure_folder("work", "INBOX", FolderRole.INBOX)
    path.chmod(0o644)
    with Store.open(path, readonly=True):
        assert mode(path) == 0o644  # a reader changes nothing
    with Store.open(path):
        assert mode(path) == 0o600
