"""Copies of attachments handed to viewers live in one private place and do not pile up."""

from __future__ import annotations

import os
import stat
import time

from tui_mail.ui.opened_files import fresh_opened_folder, opened_root, prune_opened


def test_copies_go_under_the_login_runtime_folder_when_there_is_one(tmp_path):
    assert opened_root({"XDG_RUNTIME_DIR": str(tmp_path)}) == tmp_path / "tui-mail" / "opened"


def test_without_a_runtime_folder_copies_go_to_a_per_user_temp_folder(tmp_path):
    root = opened_root({"XDG_RUNTIME_DIR": str(tmp_path / "missing")})
    assert root.parent.name == f"tui-mail-{os.getuid()}"


def test_each_copy_gets_its_own_private_folder(tmp_path):
    root = tmp_path / "tui-mail" / "opened"
    first, second = fresh_opened_folder(root), fresh_opened_folder(root)
    assert first != second
    assert first.parent == second.parent == root
    for folder in (root.parent, root, first):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_copies_older_than_a_day_are_removed_when_another_is_opened(tmp_path):
    root = tmp_path / "tui-mail" / "opened"
    old, recent = fresh_opened_folder(root), fresh_opened_folder(root)
    (old / "report.pdf").write_bytes(b"%PDF")
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(old, (two_days_ago, two_days_ago))
    newest = fresh_opened_folder(root)
    assert not old.exists()
    assert recent.exists() and newest.exists()


def test_pruning_a_missing_root_removes_nothing(tmp_path):
    assert prune_opened(tmp_path / "never-made") == 0


def test_a_root_that_is_a_link_is_not_used(tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))  # the fallback, kept in the test's
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "tui-mail").mkdir()
    (tmp_path / "tui-mail" / "opened").symlink_to(elsewhere)
    folder = fresh_opened_folder(tmp_path / "tui-mail" / "opened")
    assert folder.parent == tmp_path  # a private folder of the system's temp dir instead
    assert not any(elsewhere.iterdir())


def test_a_copy_handed_to_a_viewer_is_readable_by_its_owner_only_whatever_the_umask(tmp_path):
    from tests.support.cache import NOW, hostile_message
    from tui_mail.model import Attachment
    from tui_mail.ui.screens.picker import save_attachment

    raw = hostile_message(NOW)
    attachment = Attachment("report.pdf", "application/pdf", 10, 0)
    old = os.umask(0o022)
    try:
        copy = save_attachment(raw, attachment, tmp_path / "opened", private=True)
        saved = save_attachment(raw, attachment, tmp_path / "saved")
    finally:
        os.umask(old)
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    assert stat.S_IMODE(saved.stat().st_mode) == 0o644  # a file the user keeps: the usual mode
