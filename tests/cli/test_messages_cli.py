"""`tui-mail show`, `import` and `search` work from the command line with no network."""

from __future__ import annotations

import json
import mailbox
from pathlib import Path

import pytest

from tests.support.cli import TuiMail
from tests.support.messages import message

HOSTILE_SUBJECT = "Invoice \x1b]52;c;ZWNobyBwd25lZA==\x07 [bold]due[/] \x1b[2J\u202eexe.pdf"


@pytest.fixture
def tui_mail(tmp_path: Path) -> TuiMail:
    return TuiMail.without_accounts(tmp_path)


@pytest.fixture
def mbox(tmp_path: Path) -> Path:
    path = tmp_path / "Archive.mbox"
    box = mailbox.mbox(path)
    box.add(message("Quarterly report", "Alice <alice@example.com>", "Numbers for the quarter.", "Mon, 05 Feb 2024 10:00:00 +0000"))
    box.add(message("Lunch on Friday?", "Bob <bob@example.com>", "Pizza or sushi, the usual quarrel.", "Tue, 06 Feb 2024 12:30:00 +0000"))
    box.add(message(HOSTILE_SUBJECT, "Mallory <m@example.net>", "pay now \x1b[31mred\x1b[0m", "Wed, 07 Feb 2024 08:00:00 +0000"))
    box.flush()
    box.close()
    return path


def test_show_prints_headers_body_and_attachments_of_a_corpus_message(tui_mail: TuiMail) -> None:
    sample = Path(__file__).resolve().parents[1] / "fixtures" / "corpus"
    eml = next(p for p in sorted(sample.rglob("*.eml")) if b"Subject:" in p.read_bytes())
    run = tui_mail("show", str(eml))
    assert run.returncode == 0, run.output
    assert run.stdout.startswith("From: ")
    assert "\nSubject: " in run.stdout


def test_show_reads_standard_input_and_strips_escape_sequences(tui_mail: TuiMail) -> None:
    raw = message(HOSTILE_SUBJECT, "x@example.com", "body \x1b[2J text", "Mon, 05 Feb 2024 10:00:00 +0000")
    run = tui_mail("show", "-", stdin=raw.as_string())
    assert run.returncode == 0, run.output
    assert "\x1b" not in run.stdout and "\x07" not in run.stdout and "\u202e" not in run.stdout
    assert "[bold]due[/]" in run.stdout  # shown literally
    assert "body" in run.stdout and "text" in run.stdout


def test_show_missing_file_is_a_clear_error(tui_mail: TuiMail, tmp_path: Path) -> None:
    run = tui_mail("show", str(tmp_path / "nope.eml"))
    assert run.returncode == 1
    assert "cannot read" in run.stderr and "No such file" in run.stderr


def test_show_prints_a_cached_message_by_the_id_search_gives(tui_mail: TuiMail,
                                                            mbox: Path) -> None:
    tui_mail("import", str(mbox))
    found = json.loads(tui_mail("search", "--json", "quarrel").stdout)
    run = tui_mail("show", str(found["id"]))
    assert run.returncode == 0, run.output
    assert "Lunch on Friday?" in run.stdout and "Pizza or sushi" in run.stdout

    missing = tui_mail("show", "987654")
    assert missing.returncode == 2
    assert "no message with id 987654" in missing.stderr and "search --json" in missing.stderr


def test_show_by_id_says_when_only_the_headers_are_cached(tui_mail: TuiMail) -> None:
    from tui_mail.model import FolderRole
    from tui_mail.store import NewMessage, Store

    header = bytes(message("Only the headers", "Ann <ann@example.com>", "",
                           "Mon, 05 Feb 2024 10:00:00 +0000"))
    with Store.open(tui_mail.home / "data" / "tui-mail" / "cache.sqlite3") as store:
        store.ensure_folder("work", "INBOX", FolderRole.INBOX)
        store.add_messages("work", "INBOX", [NewMessage(
            uid=1, raw_headers=header[: header.index(b"\n\n") + 2], size=5000)])
    found = json.loads(tui_mail("search", "--json", "headers").stdout)
    run = tui_mail("show", str(found["id"]))
    assert run.returncode == 1
    assert "not downloaded yet" in run.stderr and "sync --bodies" in run.stderr


def test_import_then_search_offline(tui_mail: TuiMail, mbox: Path) -> None:
    run = tui_mail("import", str(mbox))
    assert run.returncode == 0, run.output
    assert "3 imported" in run.stdout and "local/Archive" in run.stdout
    again = tui_mail("import", str(mbox))
    assert "0 imported, 3 already in the cache" in again.stdout

    run = tui_mail("search", "--json", "quarrel")
    rows = [json.loads(line) for line in run.stdout.splitlines()]
    assert [r["subject"] for r in rows] == ["Lunch on Friday?"]

    run = tui_mail("search", "from:alice", "quarter*")
    assert "Quarterly report" in run.stdout and "Lunch" not in run.stdout

    run = tui_mail("search", "invoice")
    assert "\x1b" not in run.stdout and "\x07" not in run.stdout and "[bold]due[/]" in run.stdout


def test_a_malformed_query_is_a_clear_message_not_a_crash(tui_mail: TuiMail, mbox: Path) -> None:
    tui_mail("import", str(mbox))
    run = tui_mail("search", 'subject:"unclosed')
    assert run.returncode != 0
    assert "quote" in run.stderr and "Traceback" not in run.output


def test_search_says_how_many_messages_are_not_downloaded_yet(tui_mail: TuiMail) -> None:
    """As the interface does: mail whose body is not cached has its text left out."""
    from tui_mail.model import FolderRole
    from tui_mail.store import NewMessage, Store

    header = message("Only the headers", "Ann <ann@example.com>", "", "Mon, 05 Feb 2024 10:00:00 +0000")
    with Store.open(tui_mail.home / "data" / "tui-mail" / "cache.sqlite3") as store:
        store.ensure_folder("work", "INBOX", FolderRole.INBOX)
        store.add_messages("work", "INBOX", [NewMessage(
            uid=1, raw_headers=bytes(header)[: bytes(header).index(b"\n\n") + 2], size=5000)])
    run = tui_mail("search", "headers")
    assert run.returncode == 0, run.output
    assert "Only the headers" in run.stdout
    assert "1 message is not downloaded yet" in run.stderr and "not searched" in run.stderr


def test_an_mbox_named_with_escape_sequences_is_never_echoed_raw(tui_mail: TuiMail,
                                                                 mbox: Path) -> None:
    """The file name becomes the folder name and is printed by import and by search: an OSC
    (title, clipboard) or a screen clear in it must not reach the terminal."""
    hostile = mbox.with_name("Evil\x1b]52;c;ZXZpbA==\x07\x1b[2JBox.mbox")
    mbox.rename(hostile)
    run = tui_mail("import", str(hostile))
    assert run.returncode == 0, run.output
    assert "\x1b" not in run.stdout and "\x07" not in run.stdout
    assert "3 imported" in run.stdout and "local/EvilBox" in run.stdout
    found = tui_mail("search", "quarrel")
    assert "\x1b" not in found.stdout and "[local/EvilBox]" in found.stdout
    missing = tui_mail("import", str(hostile.with_name("Gone\x1b[2J.mbox")))
    assert missing.returncode != 0 and "\x1b" not in missing.stderr


def test_show_reports_authentication_by_the_named_accounts_server_only(tui_mail: TuiMail,
                                                                       tmp_path: Path) -> None:
    tui_mail.config.write_text(
        '[accounts.work]\naddress = "me@example.net"\nauthserv_id = "mx.example.net"\n\n'
        '[accounts.work.incoming]\nprotocol = "imap"\nhost = "127.0.0.1"\n'
        'security = "tls"\npassword_command = "printf x"\n')
    eml = tmp_path / "bank.eml"
    eml.write_bytes(b"Authentication-Results: mx.example.net; dmarc=pass header.from=bank.example"
                    b"\r\nAuthentication-Results: mx.bank.example; dmarc=fail\r\n"
                    b"From: Bank <news@bank.example>\r\nSubject: statement\r\n\r\nbody\r\n")
    ours = tui_mail("show", "--account", "work", str(eml))
    assert ours.returncode == 0, ours.output
    assert "Verified: bank.example (dmarc=pass)" in ours.stdout
    unknown = tui_mail("show", str(eml))  # no Received by a server: nothing is believed
    assert "erified" not in unknown.stdout
    missing = tui_mail("show", "--account", "nobody", str(eml))
    assert missing.returncode != 0 and "nobody" in missing.stderr
