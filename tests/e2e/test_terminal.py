"""The real `tui-mail` command in a real terminal (tmux): start, open INBOX, read, search, quit.

Each test gets its own HOME and XDG folders and its own tmux server, and checks the screen after
every step. Once against the built-in demo account, once against a cache filled by `tui-mail
sync` from the test Dovecot.
"""

from __future__ import annotations

import email
import subprocess
import time
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.e2e.tmux import TMUX, TmuxTerminal
from tests.support.messages import make_message
from tests.support.terminal import isolated_env, tui_mail_command
from tui_mail.demo.generate import generate

pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed (apt-get install tmux)")

REPO = Path(__file__).resolve().parents[2]
WIDTH, HEIGHT = 120, 40


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[TmuxTerminal]:
    term = TmuxTerminal(tmp_path, WIDTH, HEIGHT)
    try:
        yield term
    finally:
        term.close()


def open_inbox(term: TmuxTerminal, account: str) -> None:
    """Folder pane, up to its top ("All inboxes"), down past the account, Enter on INBOX.

    Each step waits for the screen to show the previous one: a key that arrives while focus is
    still moving goes to the old widget.
    """
    term.wait_for(" · newest first · ")
    term.send("c")
    time.sleep(0.3)  # the folder pane is already on screen: nothing to wait for but focus
    term.send(*["k"] * 12)
    term.send("j", "j")
    term.send("Enter")
    term.wait_for(f"{account}: INBOX")
    time.sleep(0.3)  # focus moves from the folders to the list; the screen does not show it


def first_body_line(msg: EmailMessage) -> str:
    """The start of the first longer line of the text body that is not the subject."""
    body = msg.get_body(("plain",))
    assert body is not None
    subject = str(msg["Subject"])
    for line in body.get_content().splitlines():
        if len(line) >= 30 and line != subject and line[:1].isalnum():
            return line[:40]
    raise AssertionError("no body line to look for")


def read_search_quit(
    term: TmuxTerminal,
    account: str,
    newest: EmailMessage,
    word: str,
    found_sender: str,
    hidden_sender: str,
) -> None:
    """The steps both tests share, from the list of INBOX to a clean exit."""
    open_inbox(term, account)
    term.send("Enter")
    # The viewer's key bar: the preview beside the list shows the same subject and text.
    screen = term.wait_for(f"Subject: {newest['Subject']}", first_body_line(newest),
                           "h HTML  R Raw")
    assert "From:" in screen

    term.send("q")
    term.wait_for(f"{account}: INBOX", "⏎ Open  q Quit")

    term.send("/")
    term.wait_for("in: folder")
    term.type(word)
    term.wait_for(found_sender, absent=[hidden_sender])

    term.send("Escape")
    # Back to the folder (the list keeps the selected result in view, so the newest message
    # may be scrolled away): the search bar and its result count are gone.
    term.wait_for(f"{account}: INBOX", absent=["in: folder", " results"])
    term.send("q")
    assert term.wait_exit() == 0
    # Quit cleanly: the terminal is given back as it was, with nothing left on it.
    assert term.modes() == {"alternate_on": "0", "mouse_any_flag": "0", "cursor_flag": "1"}
    assert "Traceback" not in term.screen()


def test_demo_start_open_inbox_read_search_and_quit(home: Path, terminal: TmuxTerminal) -> None:
    inbox = [m for m in generate() if m.folder == "INBOX"]
    newest = email.message_from_bytes(
        max(inbox, key=lambda m: m.internaldate).raw, policy=policy.default
    )
    word = "Yirgacheffe"  # only in the café's newsletters
    assert any(word.encode() in m.raw for m in inbox)
    sender = newest["From"].addresses[0].display_name
    assert sender != "Café Ümlaut"

    terminal.start([*tui_mail_command(), "--demo"], isolated_env(home), cwd=home)
    screen = terminal.wait_for(sender, "INBOX", timeout=30)
    assert "demo" in screen

    read_search_quit(terminal, "demo", newest, word, "Café Ümlaut", sender)
    cached = list((home / "data" / "tui-mail").glob("demo-*.sqlite3"))
    assert len(cached) == 1, "the demo cache is kept under the data folder for the next start"


@pytest.mark.servers
def test_synced_account_open_inbox_read_search_and_quit(
    home: Path, terminal: TmuxTerminal, mail_servers: object
) -> None:
    servers = mail_servers
    user = servers.new_user()  # type: ignore[attr-defined]
    raws = [
        make_message("Quarterly numbers", "The numbers for the quarter look fine overall.\n", 1),
        make_message("Zanzibar trip", "Bring sunscreen: the quokkazanzibar tour starts early.\n", 2),
        make_message("Lunch on Friday", "Shall we try the new ramen place near the station?\n", 3),
    ]
    raws[2] = raws[2].replace(b"Alice Example <alice", b"Bob Builder <bob")
    servers.deliver_many(user, raws)  # type: ignore[attr-defined]

    env = isolated_env(home)
    password_file = home / "password"
    password_file.write_text(user.password + "\n")
    config = Path(env["XDG_CONFIG_HOME"]) / "tui-mail" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(
        f'theme = "tui-mail-light"\n\n'
        f'[accounts.test]\naddress = "{user.address}"\n\n'
        f'[accounts.test.incoming]\nprotocol = "imap"\nhost = "{servers.host}"\n'  # type: ignore[attr-defined]
        f'port = {servers.imap_tls_port}\nsecurity = "tls"\n'  # type: ignore[attr-defined]
        f'username = "{user.login}"\nca_file = "{servers.ca_file}"\n'  # type: ignore[attr-defined]
        f'password_command = "cat {password_file}"\n'
    )

    sync = subprocess.run(
        [*tui_mail_command(), "sync", "--bodies"], env=env, cwd=home,
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert sync.returncode == 0, sync.stderr
    assert "3 new" in sync.stdout

    newest = email.message_from_bytes(raws[2], policy=policy.default)
    terminal.start(tui_mail_command(), env, cwd=home)
    terminal.wait_for("Bob Builder", "Lunch on Friday", timeout=30)
    read_search_quit(terminal, "test", newest, "quokkazanzibar", "Zanzibar trip", "Bob Builder")
