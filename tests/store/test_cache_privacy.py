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


def old_install(data_dir: Path) -> Path:
    """A data folder as an earlier version left it under the usual umask: 0755 and 0644."""
    cache = data_dir / "cache.sqlite3"
    with Store.open(cache) as store:
        store.ensure_folder("work", "INBOX", FolderRole.INBOX)
    (data_dir / "locks").mkdir()
    (data_dir / "locks" / "sync-work.lock").write_text("")
    for path in (data_dir, data_dir / "locks"):
        path.chmod(0o755)
    for path in (cache, data_dir / "locks" / "sync-work.lock"):
        path.chmod(0o644)
    return cache


def test_an_old_install_is_closed_up_and_what_changed_is_listed(tmp_path: Path) -> None:
    from tui_mail.store.privacy import close_up

    data = tmp_path / "tui-mail"
    cache = old_install(data)
    outside = tmp_path / "elsewhere.txt"
    outside.write_text("not ours to change")
    outside.chmod(0o644)
    (data / "link").symlink_to(outside)
    changed = close_up(data)
    assert set(changed) == {data, data / "locks", cache, data / "locks" / "sync-work.lock"}
    assert mode(data) == mode(data / "locks") == 0o700
    assert mode(cache) == 0o600
    assert mode(outside) == 0o644  # a link is not followed
    assert close_up(data) == []  # nothing left to change


def test_a_subcommand_on_an_old_install_closes_it_up_and_says_so_once(tmp_path: Path) -> None:
    from tests.support.cli import TuiMail

    tool = TuiMail(tmp_path)
    tool.config.write_text("")
    data = tmp_path / "data" / "tui-mail"
    data.parent.mkdir()
    cache = old_install(data)
    first = tool("folders")
    assert "could be read by other users of this machine" in first.stderr
    assert "now yours alone" in first.stderr
    assert mode(data) == 0o700 and mode(cache) == 0o600
    second = tool("folders")
    assert "other users" not in second.stderr


def test_the_interface_tells_the_user_once_after_its_first_frame(
        tmp_path: Path, monkeypatch) -> None:
    from tui_mail import cli

    shown: list[str] = []

    def fake_run_app(config, store_path: Path, *, demo: bool = False, notice: str = "") -> int:
        shown.append(notice)
        return 0

    monkeypatch.setattr("tui_mail.ui.app.run_app", fake_run_app)
    monkeypatch.setattr("tui_mail.demo.builder.ensure_demo_cache", lambda data_dir: data_dir / "d")
    old_install(tmp_path / "data")
    assert cli.main(["--data-dir", str(tmp_path / "data"), "--demo"]) == 0
    assert "could be read by other users" in shown[0] and "demo account" in shown[0]
    assert mode(tmp_path / "data") == 0o700
