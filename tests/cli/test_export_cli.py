"""`tui-mail export` copies cached mail to an mbox or a Maildir, offline, and says what it left out."""

from __future__ import annotations

import mailbox
from pathlib import Path

import pytest

from tests.support.cli import TuiMail
from tests.support.messages import message

HOSTILE = "Invoice \x1b]52;c;ZWNobyBwd25lZA==\x07 [bold]due[/]"


@pytest.fixture
def tui_mail(tmp_path: Path) -> TuiMail:
    tool = TuiMail(tmp_path)
    tool.config.write_text("")  # no accounts: the cache commands need none
    path = tmp_path / "Archive.mbox"
    box = mailbox.mbox(path)
    box.add(message("Quarterly report", "Alice <alice@example.com>", "Numbers.\nFrom here on",
                    "Mon, 05 Feb 2024 10:00:00 +0000"))
    box.add(message("Lunch on Friday?", "Bob <bob@example.com>", "Pizza or sushi.",
                    "Tue, 06 Feb 2024 12:30:00 +0000"))
    box.add(message(HOSTILE, "Mallory <m@example.net>", "pay", "Wed, 07 Feb 2024 08:00:00 +0000"))
    box.flush()
    box.close()
    assert tool("import", str(path)).returncode == 0
    return tool


def _subjects(path: Path) -> list[str]:
    box = mailbox.mbox(path, create=False)
    try:
        return [str(m["Subject"]) for m in box]
    finally:
        box.close()


def test_export_of_a_folder_writes_an_mbox_oldest_first(tui_mail: TuiMail, tmp_path: Path) -> None:
    run = tui_mail("export", str(tmp_path / "out.mbox"), "--folder", "Archive")
    assert run.returncode == 0, run.output
    assert run.stdout.startswith("exported 3 messages to ")
    assert _subjects(tmp_path / "out.mbox") == ["Quarterly report", "Lunch on Friday?", HOSTILE]


def test_export_of_a_search_takes_only_what_matches(tui_mail: TuiMail, tmp_path: Path) -> None:
    run = tui_mail("export", str(tmp_path / "q.mbox"), "from:bob")
    assert run.returncode == 0, run.output
    assert _subjects(tmp_path / "q.mbox") == ["Lunch on Friday?"]


def test_the_query_may_come_after_the_options(tui_mail: TuiMail, tmp_path: Path) -> None:
    run = tui_mail("export", str(tmp_path / "o.mbox"), "--folder", "Archive", "from:alice")
    assert run.returncode == 0, run.output
    assert _subjects(tmp_path / "o.mbox") == ["Quarterly report"]


def test_export_into_a_maildir_twice_adds_nothing_the_second_time(tui_mail: TuiMail,
                                                                   tmp_path: Path) -> None:
    first = tui_mail("export", str(tmp_path / "md") + "/", "--folder", "Archive")
    assert first.returncode == 0, first.output
    assert len(list((tmp_path / "md" / "cur").iterdir())) == 3
    again = tui_mail("export", str(tmp_path / "md"), "--folder", "Archive")
    assert "exported 0 messages" in again.stdout and "3 were there already" in again.stdout
    imported = tui_mail("import", str(tmp_path / "md"), "--folder", "Back")
    assert imported.returncode == 0, imported.output
    assert "Lunch on Friday?" in tui_mail("search", "--folder", "Back", "sushi").stdout


def test_export_without_a_query_or_a_scope_says_what_to_give(tui_mail: TuiMail,
                                                             tmp_path: Path) -> None:
    run = tui_mail("export", str(tmp_path / "all.mbox"))
    assert run.returncode != 0
    assert "say what to export" in run.stderr and "--folder" in run.stderr
    assert not (tmp_path / "all.mbox").exists()


def test_export_to_a_mistyped_folder_names_the_folders_there_are(tui_mail: TuiMail,
                                                                 tmp_path: Path) -> None:
    run = tui_mail("export", str(tmp_path / "x.mbox"), "--folder", "Archiv")
    assert run.returncode != 0
    assert "did you mean 'Archive'?" in run.stderr


def test_export_says_which_messages_were_not_downloaded(tui_mail: TuiMail, tmp_path: Path) -> None:
    from tui_mail.model import FolderRole
    from tui_mail.store import NewMessage, Store

    header = bytes(message("Only the headers", "Ann <ann@example.com>", "",
                           "Mon, 05 Feb 2024 10:00:00 +0000"))
    with Store.open(tui_mail.home / "data" / "tui-mail" / "cache.sqlite3") as store:
        store.ensure_folder("work", "INBOX", FolderRole.INBOX)
        store.add_messages("work", "INBOX", [NewMessage(
            uid=1, raw_headers=header[: header.index(b"\n\n") + 2], size=5000)])
    run = tui_mail("export", str(tmp_path / "w.mbox"), "--account", "work")
    assert run.returncode == 1
    assert "1 message is not downloaded yet" in run.stderr and "sync --bodies" in run.stderr


def test_export_never_echoes_escape_sequences_of_a_file_name(tui_mail: TuiMail,
                                                            tmp_path: Path) -> None:
    run = tui_mail("export", str(tmp_path / "a\x1b[2Jb.mbox"), "--folder", "Archive")
    assert run.returncode == 0, run.output
    assert "\x1b" not in run.stdout + run.stderr
