"""Writing mail with the real `tui-mail` command in a real terminal (tmux).

One test composes and sends a message to a second account on the test Postfix/Dovecot and reads
it back from the server; the other kills the program while a message is being written and checks
that the next start offers the draft back.
"""

from __future__ import annotations

import imaplib
import os
import signal
import ssl
import subprocess
import time
import uuid
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.tmux import TMUX, ScreenTimeout, TmuxTerminal
from tests.support.messages import make_message
from tests.support.terminal import isolated_env, tui_mail_command
from tui_mail.store.db import Store

pytestmark = [
    pytest.mark.skipif(TMUX is None, reason="tmux is not installed (apt-get install tmux)"),
    pytest.mark.servers,
]

WIDTH, HEIGHT = 120, 40
TO_PLACEHOLDER = "name or address; → completes"
WELCOME = "Welcome to the e2e mailbox"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def terminals(tmp_path: Path) -> Iterator[list[TmuxTerminal]]:
    """Terminals opened by the test (one per start of the program); all closed at the end."""
    opened: list[TmuxTerminal] = []
    try:
        yield opened
    finally:
        for term in opened:
            term.close()


def start(terminals: list[TmuxTerminal], tmp_path: Path, env: dict[str, str], home: Path) -> TmuxTerminal:
    term = TmuxTerminal(tmp_path, WIDTH, HEIGHT)
    terminals.append(term)
    term.start(tui_mail_command(), env, cwd=home)
    return term


def configure(home: Path, servers: Any, user: Any) -> dict[str, str]:
    """An isolated HOME whose config has one account `alice` (IMAP and SMTP), cache synced."""
    env = isolated_env(home)
    password_file = home / "password"
    password_file.write_text(user.password + "\n")
    config = Path(env["XDG_CONFIG_HOME"]) / "tui-mail" / "config.toml"
    config.parent.mkdir(parents=True)
    server = (
        f'host = "{servers.host}"\nusername = "{user.login}"\nca_file = "{servers.ca_file}"\n'
        f'password_command = "cat {password_file}"\n'
    )
    config.write_text(
        f'[accounts.alice]\naddress = "Alice E2E <{user.address}>"\n\n'
        f'[accounts.alice.incoming]\nprotocol = "imap"\nport = {servers.imap_tls_port}\n'
        f'security = "tls"\n{server}\n'
        f'[accounts.alice.smtp]\nport = {servers.smtp_starttls_port}\nsecurity = "starttls"\n'
        f'{server}'
    )
    servers.deliver(user, make_message(WELCOME, "Nothing to see here.\n", 1))
    sync = subprocess.run(
        [*tui_mail_command(), "sync"], env=env, cwd=home,
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert sync.returncode == 0, sync.stderr
    return env


def line_with(screen: str, label: str) -> str:
    """The screen line of the composer field `label` (From, To, Subject...)."""
    for line in screen.splitlines():
        if line.strip().startswith(label):
            return line
    raise AssertionError(f"no {label!r} field on the screen:\n{screen}")


def wait_for_field(term: TmuxTerminal, label: str, text: str) -> None:
    """Wait until `text` shows in the field `label`: the key presses went where intended."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        screen = term.wait_for(text)
        if text in line_with(screen, label):
            return
        time.sleep(0.05)
    raise ScreenTimeout(f"{text!r} is not in the {label} field:\n{term.screen()}")


def write_message(term: TmuxTerminal, to: str, subject: str, body: str) -> None:
    """From the mailbox: `m`, then To, Subject and body as a user types them.

    The composer opens with the cursor in To; Tab goes To → Cc → Bcc → Subject → Attach → body.
    """
    term.send("m")
    term.wait_for("Subject", TO_PLACEHOLDER)
    term.type(to)
    wait_for_field(term, "To", to)
    term.send("Tab", "Tab", "Tab")
    time.sleep(0.2)  # focus moves between fields; the screen shows no cursor to wait for
    term.type(subject)
    wait_for_field(term, "Subject", subject)
    term.send("Tab", "Tab")
    time.sleep(0.2)
    term.type(body)
    term.wait_for(body)


def tls_context(servers: Any) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(servers.ca_file))


def fetch_messages(servers: Any, user: Any, folder: str) -> list[EmailMessage]:
    """Every message of `folder` on the IMAP server (none when the folder does not exist)."""
    with imaplib.IMAP4_SSL(servers.host, servers.imap_tls_port,
                           ssl_context=tls_context(servers), timeout=10) as client:
        client.login(user.login, user.password)
        status, _ = client.select(folder, readonly=True)
        if status != "OK":
            return []
        _, found = client.search(None, "ALL")
        messages = []
        for number in found[0].split():
            _, data = client.fetch(number, "(BODY.PEEK[])")
            assert isinstance(data[0], tuple)
            raw = data[0][1]
            assert isinstance(raw, bytes)
            messages.append(message_from_bytes(raw, policy=policy.default))
        return messages


def wait_for_subject(servers: Any, user: Any, folder: str, subject: str,
                     timeout: float = 15.0) -> EmailMessage:
    deadline = time.monotonic() + timeout
    while True:
        found = [m for m in fetch_messages(servers, user, folder) if m["Subject"] == subject]
        if found:
            assert len(found) == 1, f"{subject!r} arrived {len(found)} times in {folder}"
            return found[0]
        if time.monotonic() > deadline:
            raise AssertionError(f"{subject!r} did not arrive in {user.login}'s {folder}")
        time.sleep(0.2)


def body_text(msg: EmailMessage) -> str:
    part = msg.get_body(("plain",))
    assert part is not None, "no text/plain body"
    return part.get_content()


def cache_path(env: dict[str, str]) -> Path:
    [path] = (Path(env["XDG_DATA_HOME"]) / "tui-mail").glob("*.sqlite3")
    return path


def wait_for_local_draft(env: dict[str, str], subject: str, timeout: float = 12.0) -> None:
    """Poll the cache until the autosave has written a draft with `subject`."""
    deadline = time.monotonic() + timeout
    while True:
        store = Store.open(cache_path(env), readonly=True)
        try:
            if any(subject.encode() in d.raw for d in store.queues.drafts()):
                return
        finally:
            store.close()
        if time.monotonic() > deadline:
            raise AssertionError(f"no draft with {subject!r} was autosaved within {timeout} s")
        time.sleep(0.2)


def test_compose_and_send_arrives_in_the_recipients_inbox_and_in_sent(
    home: Path, tmp_path: Path, terminals: list[TmuxTerminal], mail_servers: Any
) -> None:
    alice, bob = mail_servers.new_user(), mail_servers.new_user()
    env = configure(home, mail_servers, alice)
    subject = f"Harbour plans {uuid.uuid4().hex[:8]}"
    body = "The ferry leaves at seven; bring the charts."

    term = start(terminals, tmp_path, env, home)
    term.wait_for(WELCOME, timeout=30)
    write_message(term, bob.address, subject, body)
    term.send("C-t")
    term.wait_for("Sent.", absent=["Not sent"], timeout=20)

    arrived = wait_for_subject(mail_servers, bob, "INBOX", subject)
    assert body in body_text(arrived)
    assert alice.address in str(arrived["From"])
    assert bob.address in str(arrived["To"])
    copy = wait_for_subject(mail_servers, alice, "Sent", subject)
    assert copy["Message-ID"] == arrived["Message-ID"]

    term.wait_for(WELCOME, absent=[TO_PLACEHOLDER])  # back in the mailbox
    term.send("q")
    assert term.wait_exit() == 0


def test_draft_survives_a_killed_program_and_is_offered_on_the_next_start(
    home: Path, tmp_path: Path, terminals: list[TmuxTerminal], mail_servers: Any
) -> None:
    alice = mail_servers.new_user()
    env = configure(home, mail_servers, alice)
    subject = f"Unfinished thoughts {uuid.uuid4().hex[:8]}"
    body = "Half a sentence about the lighthouse"
    to = "keeper@example.org"

    first = start(terminals, tmp_path, env, home)
    first.wait_for(WELCOME, timeout=30)
    write_message(first, to, subject, body)
    wait_for_local_draft(env, subject)
    os.kill(first.program_pid(), signal.SIGKILL)
    assert first.wait_exit() == 128 + signal.SIGKILL
    first.close()

    second = start(terminals, tmp_path, env, home)
    second.wait_for("1 unsent draft(s) kept from before: press D to reopen.", timeout=30)
    second.send("D")
    second.wait_for("Unsent drafts (1)", subject, to)
    second.send("Enter")
    second.wait_for(body, absent=["Unsent drafts"])
    wait_for_field(second, "Subject", subject)
    wait_for_field(second, "To", to)

    second.send("Escape")  # nothing changed since the draft was reopened: closes at once
    second.wait_for(WELCOME, absent=[TO_PLACEHOLDER])
    second.send("q")
    assert second.wait_exit() == 0
