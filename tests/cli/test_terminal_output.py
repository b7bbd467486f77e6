"""Every subcommand's output is safe for the terminal: folder names, headers, file names, paths
and config values that carry escape sequences, controls or bidi overrides never reach stdout or
stderr as they are (one way out: `tui_mail.cli.output`)."""

from __future__ import annotations

import io
import mailbox
import re
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.support.cli import TuiMail
from tui_mail.cli.output import SafeStream, clean_output
from tui_mail.model import FolderRole
from tui_mail.store.db import Store

# An OSC 52 clipboard write, an OSC 0 title, a screen clear, an 8-bit CSI, a NUL, a DEL, a
# lone CR (it would let the rest overwrite the line), a right-to-left override, a zero-width
# space and a BOM.
HOSTILE = ("Evil\x1b]52;c;cHduZWQ=\x07\x1b]0;title\x07\x1b[2J\x9b31m\x00\x7f\rX"
           "\u202eexe\u200b\ufeff")
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")

CONFIG = f"""
[accounts.work]
address = "me@example.test"
name = "Me {HOSTILE.replace(chr(0), '').encode('unicode_escape').decode()}"

[accounts.work.incoming]
protocol = "imap"
host = "127.0.0.1"
port = 1
security = "tls"
password_command = "printf x"
timeout = 2

[accounts.work.smtp]
host = "127.0.0.1"
port = 1
security = "tls"
password_command = "printf x"
timeout = 2
"""


IN_HEADER = HOSTILE.replace("\x00", "").replace("\r", "")  # what a header line can hold


def hostile_message(subject: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = f"{IN_HEADER} <mallory@example.net>"
    msg["To"] = "me@example.test"
    msg["Subject"] = subject
    msg["Date"] = "Wed, 07 Feb 2024 08:00:00 +0000"
    msg["Message-ID"] = "<hostile@example.net>"
    msg.set_content(f"pay now {HOSTILE.replace(chr(0), '')} quarrel")
    msg.add_attachment(b"MZ", maintype="application", subtype="octet-stream",
                       filename="inv\x1b[2Joice.pdf\u202eexe")
    return msg


@pytest.fixture
def tui_mail(tmp_path: Path) -> TuiMail:
    tool = TuiMail(tmp_path)
    tool.config.write_text(CONFIG)
    cache = tmp_path / "data" / "tui-mail" / "cache.sqlite3"
    cache.parent.mkdir(parents=True)
    with Store.open(cache) as store:
        store.ensure_folder("work", "INBOX", FolderRole.INBOX)
        store.ensure_folder("work", HOSTILE)
    box_path = tmp_path / f"Box{HOSTILE.replace(chr(0), '')}.mbox"
    box = mailbox.mbox(box_path)
    box.add(hostile_message(f"Invoice {IN_HEADER}"))
    box.flush()
    box.close()
    (tmp_path / "hostile.eml").write_bytes(bytes(hostile_message(IN_HEADER)))
    return tool


def assert_safe(text: str, what: str) -> None:
    found = UNSAFE.search(text)
    assert found is None, f"{what}: {found.group(0)!r} reached the terminal in {text!r}"


def box(tool: TuiMail) -> str:
    return str(next(tool.home.glob("Box*.mbox")))


COMMANDS: list[tuple[str, ...]] = [
    ("accounts", "list"),
    ("accounts", "check"),
    ("accounts", "check", HOSTILE),
    ("folders",),
    ("folders", "list", "--account", "work"),
    ("folders", "create", f"New{HOSTILE}"),
    ("folders", "rename", HOSTILE, "Renamed"),
    ("folders", "delete", "--yes", HOSTILE),
    ("folders", "subscribe", HOSTILE),
    ("folders", "unsubscribe", f"Missing{HOSTILE}"),
    ("folders", "list", "--account", HOSTILE),
    ("show", "{home}/hostile.eml"),
    ("show", "--raw", "{home}/hostile.eml"),
    ("show", "--html", "{home}/hostile.eml"),
    ("show", f"{{home}}/missing{HOSTILE}.eml"),
    ("import", "{box}"),
    ("import", "{box}", "--folder", HOSTILE),
    ("import", f"{{home}}/nothing{HOSTILE}.mbox"),
    ("search", "quarrel"),
    ("search", "--json", "quarrel"),
    ("search", f"subject:{HOSTILE}"),
    ("search", "--folder", HOSTILE, "pay"),
    ("search", 'subject:"' + HOSTILE),
    ("sync",),
    ("sync", "--account", HOSTILE),
    ("send", "--queue-only", "-s", HOSTILE, f"to{HOSTILE}@example.com"),
    ("send", "-s", HOSTILE, "-a", f"{{home}}/no{HOSTILE}.pdf", "you@example.com"),
    ("send", "-s", HOSTILE, "you@example.com"),
    ("outbox",),
    ("outbox", "flush"),
    ("outbox", "retry"),
    ("outbox", "drop", "999"),
    ("folders", "no-such-action", HOSTILE),  # argparse's own complaint quotes the argument
]


def test_no_subcommand_lets_a_control_character_reach_the_terminal(tui_mail: TuiMail) -> None:
    """All in one cache, in order, so later commands see what earlier ones stored (the
    imported folder, the queued message with its hostile subject)."""
    for command in COMMANDS:
        args = [a.replace("{home}", str(tui_mail.home)).replace("{box}", box(tui_mail))
                for a in command]
        args = [a.replace("\x00", "") for a in args]  # argv cannot hold a NUL
        run = tui_mail(*args, stdin="hello\n")
        what = repr(" ".join(command[:2]))
        assert "Traceback" not in run.output, f"{what}: {run.output}"
        assert_safe(run.stdout, f"{what} (stdout)")
        assert_safe(run.stderr, f"{what} (stderr)")
    listed = tui_mail("search", "quarrel")
    assert "Invoice Evil" in listed.stdout, "the hostile messages were imported and found"


def test_the_printable_parts_of_a_hostile_name_are_kept() -> None:
    assert clean_output(f"folder {HOSTILE}\n") == "folder EvilXexe\n"


def test_tabs_and_newlines_are_kept_and_a_carriage_return_never() -> None:
    """A name starting with CR, printed as its own write by print("x:", name), would
    otherwise overwrite the line; progress lines write their CRs under the guard."""
    assert clean_output("a\tb\nc\n") == "a\tb\nc\n"
    assert clean_output("\rEVIL") == "EVIL"
    assert clean_output("\rIN\rBOX\x1b[K 3/10\r") == "INBOX 3/10"


def test_the_sync_progress_line_rewrites_itself_with_its_text_cleaned() -> None:
    from tui_mail.cli.sync import ProgressLine
    from tui_mail.sync.events import SyncProgress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    line = ProgressLine(SafeStream(terminal))  # type: ignore[arg-type]
    line(SyncProgress(account="work", folder=f"IN{HOSTILE}BOX", phase="headers", done=3,
                      total=3))
    assert terminal.getvalue().startswith("\rwork/INEvilXexeBOX: headers 3/3")


def test_the_safe_stream_cleans_every_write_and_passes_the_rest_through() -> None:
    inner = io.StringIO()
    stream = SafeStream(inner)
    print("subject:", HOSTILE, file=stream)
    assert inner.getvalue() == "subject: EvilXexe\n"
    assert stream.isatty() is False


def test_the_streams_are_given_back_after_a_subcommand(tmp_path: Path) -> None:
    """In-process callers (tests, the interface) must not be left writing through the guard."""
    from tui_mail import cli

    before = sys.stdout, sys.stderr
    config = tmp_path / "config.toml"
    config.write_text("")
    assert cli.main(["--config", str(config), "--data-dir", str(tmp_path), "outbox"]) == 0
    assert (sys.stdout, sys.stderr) == before
