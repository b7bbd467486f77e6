"""`tui-mail folders` without a server: the listing is read from the cache and made safe for
the terminal (folder names come from servers), and what tui-mail refuses exits 2 saying why."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import TuiMail
from tui_mail.model import FolderRole
from tui_mail.store.db import Store

HOSTILE = "Bills \x1b]52;c;ZWNobyBwd25lZA==\x07\x1b[2J\u202eexe"

CONFIG = """
[accounts.work]
address = "me@example.test"

[accounts.work.incoming]
protocol = "imap"
host = "127.0.0.1"
port = 1
security = "tls"
password_command = "printf x"
timeout = 2
"""


@pytest.fixture
def tui_mail(tmp_path: Path) -> TuiMail:
    tool = TuiMail(tmp_path)
    tool.config.write_text(CONFIG)
    cache = tmp_path / "data" / "tui-mail" / "cache.sqlite3"
    cache.parent.mkdir(parents=True)
    with Store.open(cache) as store:
        store.ensure_folder("work", "INBOX", FolderRole.INBOX)
        store.ensure_folder("work", "Trash", FolderRole.TRASH)
        store.ensure_folder("work", HOSTILE)
        store.folder_edits.set_subscribed("work", HOSTILE, False)
    return tool


def test_the_listing_shows_role_counts_and_subscription_without_escape_sequences(
        tui_mail: TuiMail) -> None:
    run = tui_mail("folders")
    assert run.returncode == 0, run.output
    assert "\x1b" not in run.stdout and "\x07" not in run.stdout and "\u202e" not in run.stdout
    lines = run.stdout.splitlines()
    assert lines[0] == "work:"
    assert lines[1].split() == ["NAME", "ROLE", "TOTAL", "UNREAD", "SUBSCRIBED"]
    assert any(line.split()[:2] == ["Trash", "trash"] for line in lines)
    assert any(line.lstrip().startswith("Bills") and line.endswith("no") for line in lines)


def test_what_tui_mail_refuses_exits_2_and_changes_nothing(tui_mail: TuiMail) -> None:
    refused = tui_mail("folders", "delete", "--yes", "Trash")
    assert refused.returncode == 2
    assert "Trash is the account's Trash: it cannot be deleted" in refused.stderr
    missing = tui_mail("folders", "rename", "Nowhere", "Somewhere")
    assert missing.returncode == 2 and "no folder 'Nowhere'" in missing.stderr
    bad = tui_mail("folders", "create", "a//b")
    assert bad.returncode == 2 and "empty level" in bad.stderr
    assert "\x1b" not in missing.stderr


def test_a_change_made_while_the_server_cannot_be_reached_is_kept_for_the_next_sync(
        tui_mail: TuiMail) -> None:
    run = tui_mail("folders", "create", "Projects/2025")
    assert run.returncode == 75, run.output
    assert "Folder Projects/2025 created." in run.stdout
    assert "sent at the next sync" in run.stdout
    listed = tui_mail("folders", "--account", "work")
    assert "Projects/2025" in listed.stdout
