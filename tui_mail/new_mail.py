"""Telling the user that new mail came: the terminal's bell, a desktop notification, a hook.

- A desktop notification goes through `notify-send` (freedesktop) when a graphical session
  is there, else as the terminal's own notification escape: OSC 9 (iTerm2, WezTerm, Ghostty,
  kitty, Windows Terminal, ConEmu) or OSC 777 (foot, urxvt, VTE terminals such as GNOME
  Terminal and Tilix). Inside tmux the escape is wrapped for tmux's passthrough.
- `new_mail_command` is run with the account, the folder, the sender and the subject as four
  arguments: split like a shell would split it (`shlex`), never run by one, so a subject of
  `$(rm -rf ~)` is only text. They come last, after the command's own words: a subject that
  starts with "-" may look like an option to a hook that parses them, so a hook should take
  them as positional arguments (`--` before them, in a shell: `notify -- "$3" "$4"`). It runs
  in the background, its whole process group stopped after a time limit; its output goes to
  the log.

Every text comes from a stranger's message: escapes and control characters are removed, and
the length bounded, before it reaches a terminal or a command line.
"""

from __future__ import annotations

import contextlib
import html
import logging
import os
import shlex
import shutil
import signal
import subprocess
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from tui_mail.mail.sanitize import sanitize_line

log = logging.getLogger(__name__)

HOOK_TIMEOUT = 30.0  # seconds before a hook that does not end is killed
MOST = 200  # characters of a sender or subject passed on


class Notifier(StrEnum):
    OFF = "off"
    BELL = "bell"
    NOTIFY_SEND = "notify-send"
    OSC9 = "osc9"
    OSC777 = "osc777"


@dataclass(frozen=True)
class NewMail:
    account: str
    folder: str
    sender: str
    subject: str
    count: int = 1  # messages that came together; the others are "and N more"

    def summary(self) -> str:
        more = f" (and {self.count - 1} more)" if self.count > 1 else ""
        return f"{clean(self.sender)}: {clean(self.subject)}{more}"


def clean(text: str, most: int = MOST) -> str:
    """One line of printable text with no escape or control character, at most `most` long."""
    return sanitize_line(text)[:most]


def choose_notifier(env: Mapping[str, str] | None = None,
                    which: Callable[[str], str | None] = shutil.which) -> Notifier:
    """The best notification this session offers ("auto" in the config)."""
    env = os.environ if env is None else env
    if (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")) and which("notify-send"):
        return Notifier.NOTIFY_SEND
    program = env.get("TERM_PROGRAM", "").lower()
    term = env.get("TERM", "").lower()
    if program in ("iterm.app", "wezterm", "ghostty") or env.get("KITTY_WINDOW_ID") \
            or env.get("WT_SESSION") or env.get("ConEmuPID"):
        return Notifier.OSC9
    if term.startswith(("foot", "rxvt")) or env.get("VTE_VERSION"):
        return Notifier.OSC777
    return Notifier.BELL


def _osc_text(text: str, most: int) -> str:
    # ";" separates OSC 777's fields; ESC and BEL, which end an OSC, are gone with the
    # control characters.
    return clean(text, most).replace(";", ",")


def osc_sequence(kind: Notifier, mail: NewMail, *, tmux: bool = False) -> str:
    """The escape sequence of an OSC 9 or OSC 777 notification for `mail`."""
    title = _osc_text(f"New mail in {mail.account}/{mail.folder}", 80)
    body = _osc_text(mail.summary(), 200)
    if kind is Notifier.OSC9:
        seq = f"\x1b]9;{title}: {body}\x1b\\"
    elif kind is Notifier.OSC777:
        seq = f"\x1b]777;notify;{title};{body}\x1b\\"
    else:
        raise ValueError(f"{kind} is not a terminal notification")
    if tmux:  # tmux passes it on only wrapped, with each ESC doubled
        seq = "\x1bPtmux;" + seq.replace("\x1b", "\x1b\x1b") + "\x1b\\"
    return seq


def notify_send_argv(mail: NewMail) -> list[str]:
    """notify-send's arguments. Notification daemons read the body as markup (<b>, <a href>,
    <img> in some), so the message's text is escaped: a subject cannot become a link."""
    return ["notify-send", "--app-name=tui-mail", "--",
            clean(f"New mail in {mail.account}/{mail.folder}", 80),
            html.escape(mail.summary(), quote=False)]


def hook_argv(command: str, mail: NewMail) -> list[str]:
    """The argument list of `new_mail_command` for `mail` (ValueError for a command that
    cannot be split; config validation reports that at load)."""
    words = shlex.split(command)
    if not words:
        raise ValueError("new_mail_command is empty")
    return [*words, clean(mail.account), clean(mail.folder), clean(mail.sender),
            clean(mail.subject)]


def run_in_background(argv: list[str], *, timeout: float = HOOK_TIMEOUT) -> threading.Thread:
    """Start `argv` without waiting for it: a thread waits, kills it after `timeout` and logs
    what went wrong. Never raises: a notification must not stop the mail."""

    def wait() -> None:
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        except OSError as exc:
            log.warning("new mail: could not run %s: %s", argv[0], exc.strerror or exc)
            return
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            # The hook leads its own session: stop its children too (a shell script's
            # commands), else the pipe stays open and this thread waits for them.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
            log.warning("new mail: %s took over %g s and was stopped", argv[0], timeout)
            return
        if proc.returncode != 0:
            last = out.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
            log.warning("new mail: %s exited with status %d: %s", argv[0], proc.returncode,
                        clean(last[0]))

    thread = threading.Thread(target=wait, name="new-mail-hook", daemon=True)
    thread.start()
    return thread
