"""The real `tui-mail` in a real terminal, driven the way its user would drive it.

`TuiMail` starts the installed `tui-mail` command (no arguments, the world's environment, the
world's home as working folder) in its own tmux server and offers what a person does at a
terminal: press keys, type, look at the screen, look at the status line. The helpers below
poll what a person would check elsewhere (the correspondent's mailbox on the server, the log
file the README names) until it holds, within a bound; none of them asserts a duration.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Callable, Sequence
from contextlib import closing
from pathlib import Path
from typing import Any, TypeVar

from tests.e2e.tmux import ScreenTimeout, TmuxTerminal
from tests.journeys.world import MailWorld
from tests.support.terminal import tui_mail_command

T = TypeVar("T")

WIDTH, HEIGHT = 120, 40
WIDE = 160  # folders, list and preview side by side from 140 columns (ui/screens/mailbox.py)
MAILBOX_KEYS = "⏎ Open  q Quit"  # the key bar of the mailbox (the viewer's starts "h HTML")
VIEWER_KEYS = "h HTML  R Raw"  # the key bar of the message viewer
START_TIMEOUT = 30.0  # the first screen and the start-up sync, on a busy 2-core machine
TO_PLACEHOLDER = "name or address; → completes"
LIST_BORDER = "▕"  # the message list's left border, right of the folder tree


def eventually(check: Callable[[], T], what: str, timeout: float = 20.0,
               interval: float = 0.2, context: Callable[[], str] | None = None) -> T:
    """Call `check` until it returns something true; that value. `timeout` is a bound for a
    hung program, not a measure of speed; `context()` says more when it runs out."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            more = f"\n{context()}" if context is not None else ""
            raise AssertionError(f"{what}: still not so after {timeout:.0f} s "
                                 f"(last: {value!r}){more}")
        time.sleep(interval)


class TuiMail:
    """One run of `tui-mail` for `world`, in a terminal of `width` x `height`."""

    def __init__(self, world: MailWorld, workdir: Path, width: int = WIDTH,
                 height: int = HEIGHT) -> None:
        self.world = world
        self.term = TmuxTerminal(workdir, width, height)

    def start(self, *args: str) -> TuiMail:
        self.term.start([*tui_mail_command(), *args], self.world.env, cwd=self.world.home)
        return self

    def close(self) -> None:
        self.term.close()

    # ---- keys -------------------------------------------------------------------------------

    def press(self, *keys: str) -> None:
        self.term.send(*keys)

    def type(self, text: str) -> None:
        self.term.type(text)

    # ---- the screen -------------------------------------------------------------------------

    def screen(self) -> str:
        return self.term.screen()

    def joined_screen(self) -> str:
        """The screen with lines the terminal wrapped joined again (a long error line)."""
        done = self.term.tmux("capture-pane", "-p", "-J", "-t", "e2e", check=False)
        return done.stdout if done.returncode == 0 else ""

    def wait_for(self, *texts: str, absent: Sequence[str] = (), timeout: float = 15.0) -> str:
        return self.term.wait_for(*texts, absent=absent, timeout=timeout)

    def wait_for_any(self, *texts: str, timeout: float = 15.0) -> str:
        """Wait until one of `texts` is on the screen; the screen."""
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if any(t in screen for t in texts):
                return screen
            if self.term.exit_status() is not None:
                break
            time.sleep(0.05)
        raise ScreenTimeout(f"waited for one of {texts!r}; exit status "
                            f"{self.term.exit_status()}; last screen:\n{screen}")

    def folder_pane(self) -> list[str]:
        """The folder tree's lines as shown (the part of each line left of the message list's
        border, indentation kept), empty lines left out."""
        lines = [line.split(LIST_BORDER, 1)[0].rstrip() for line in self.screen().splitlines()
                 if LIST_BORDER in line]
        return [line for line in lines if line]

    def status_line(self) -> str:
        """The mailbox's status line: the line above the key bar."""
        lines = self.screen().rstrip("\n").split("\n")
        return lines[-2] if len(lines) >= 2 else ""

    def wait_for_status(self, check: Callable[[str], bool], what: str,
                        timeout: float = 20.0) -> str:
        line = ""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.status_line()
            if check(line):
                return line
            if self.term.exit_status() is not None:
                break
            time.sleep(0.05)
        raise ScreenTimeout(f"the status line never said {what}; last status line: {line!r}"
                            f"\nlast screen:\n{self.screen()}")

    def exit_status(self) -> int | None:
        return self.term.exit_status()

    def quit(self) -> int:
        """`q` (back to the mailbox first, from the viewer) and out; the exit status."""
        if self.exit_status() is None:
            if MAILBOX_KEYS not in self.screen():
                self.back_to_list()
            self.press("q")
        return self.term.wait_exit()

    # ---- what a user does often -------------------------------------------------------------

    def wait_for_mailbox(self, *subjects: str, timeout: float = START_TIMEOUT) -> str:
        """The message list is on screen with these subjects in it."""
        return self.wait_for(MAILBOX_KEYS, *subjects, timeout=timeout)

    def open_newest(self, subject: str, *texts: str, timeout: float = 15.0) -> str:
        """Home (the newest message), Enter: the viewer shows `subject` and `texts`."""
        self.wait_for_mailbox(subject)
        self.press("Home")
        self.press("Enter")
        # The viewer's key bar too: a preview beside or below the list shows the same text.
        return self.wait_for(VIEWER_KEYS, f"Subject: {subject}", *texts, timeout=timeout)

    def back_to_list(self) -> None:
        self.press("q")
        self.wait_for(MAILBOX_KEYS)

    def field_line(self, label: str) -> str:
        for line in self.screen().splitlines():
            if line.strip().startswith(label):
                return line
        return ""

    def until(self, check: Callable[[], T], what: str, timeout: float = 20.0) -> T:
        """`eventually`, with the last screen in the message when it runs out."""
        return eventually(check, what, timeout, interval=0.1,
                          context=lambda: f"last screen:\n{self.screen()}")

    def wait_for_field(self, label: str, text: str) -> None:
        """The composer's field `label` shows `text`: the keys went where intended."""
        self.until(lambda: text in self.field_line(label),
                   f"{text!r} in the composer's {label} field", timeout=10)

    def write(self, to: str, subject: str, body: str) -> None:
        """From the mailbox: `m`, then To, Subject and body as a user types them, each field
        checked on screen before the next (Tab: To → Cc → Bcc → Subject → Attach → body)."""
        self.press("m")
        self.wait_for("Subject", TO_PLACEHOLDER)
        self.type(to)
        self.wait_for_field("To", to)
        # Tab moves the focus before the next key is read (the composer's Tab is a priority
        # binding): the keys typed after it land in the next field however fast they come.
        self.press("Tab", "Tab", "Tab")
        self.type(subject)
        self.wait_for_field("Subject", subject)
        self.press("Tab", "Tab")
        self.type(body)
        self.wait_for(body)


# ---- outside the terminal ------------------------------------------------------------------


Launch = Callable[..., TuiMail]
"""The `launch` fixture: `launch(world, *args, width=120, height=40)`."""

StartApp = Callable[..., TuiMail]
"""The `start_app` fixture: `start_app(*args, width=120, height=40)` in the test's world."""


def log_text(world: MailWorld) -> str:
    try:
        return world.log_file.read_text(errors="replace")
    except FileNotFoundError:
        return ""


def wait_for_log(world: MailWorld, pattern: str, count: int = 1, timeout: float = 20.0) -> str:
    """Wait until the log file holds `count` lines matching `pattern`; the log."""
    regex = re.compile(pattern)

    def enough() -> str:
        text = log_text(world)
        return text if len(regex.findall(text)) >= count else ""

    return eventually(enough, f"{count} log line(s) matching {pattern!r} in {world.log_file}",
                      timeout=timeout, interval=0.1)


def cached_bodies(world: MailWorld) -> int:
    """How many messages of the cache have their whole body, read read-only (to wait for the
    background download: the test never writes the cache)."""
    if not world.cache.exists():
        return 0
    try:
        with closing(sqlite3.connect(f"file:{world.cache}?mode=ro", uri=True,
                                     timeout=5)) as db:
            return int(db.execute("SELECT count(*) FROM messages WHERE body_state = 2")
                       .fetchone()[0])
    except sqlite3.Error:
        return 0  # created or migrated right now: ask again


def server_copies(world: MailWorld, subject: str, folder: str = "INBOX",
                  user: Any = None) -> list[tuple[bytes, Any]]:
    """(FLAGS, message) of every message with `subject` in `folder` on the server."""
    return [(flags, msg) for flags, msg in world.server_messages(folder, user)
            if str(msg["Subject"]) == subject]


def wait_for_server_copy(world: MailWorld, subject: str, folder: str = "INBOX",
                         user: Any = None, timeout: float = 30.0) -> tuple[bytes, Any]:
    """The one message with `subject` in `folder` on the server, once it is there (and it
    is there once only)."""
    found = eventually(lambda: server_copies(world, subject, folder, user),
                       f"{subject!r} in {folder} on the server", timeout=timeout)
    assert len(found) == 1, f"{subject!r} is {len(found)} times in {folder}"
    return found[0]


def text_of(msg: Any) -> str:
    part = msg.get_body(("plain",))
    assert part is not None, "no text/plain part"
    return str(part.get_content())

