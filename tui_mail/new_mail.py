"""Telling the user that new mail came: the terminal's bell, a desktop notification, a hook.

- A desktop notification goes through `notify-send` (freedesktop) when a graphical session
  is there, else as the terminal's own notification escape: OSC 9 (iTerm2, WezTerm, Ghostty,
  kitty, Windows Terminal, ConEmu) or OSC 777 (foot, urxvt, VTE terminals such as GNOME
  Terminal and Tilix). Inside tmux the escape is wrapped for tmux's passthrough. A terminal
  that does not know these escapes ignores them.
- `new_mail_command` is run once per folder with new mail, with the account, the folder, the
  newest message's sender and subject, and the count of new messages as five arguments:
  split like a shell would split it (`shlex`), never run by one, so a subject of
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
import fnmatch
import html
import logging
import os
import shlex
import shutil
import signal
import subprocess
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from tui_mail.mail.sanitize import sanitize_line

log = logging.getLogger(__name__)

HOOK_TIMEOUT = 30.0  # seconds before a hook that does not end is killed
MOST = 200  # characters of a sender or subject passed on
LISTED = 3  # newest messages named in a notification of several


class Notifier(StrEnum):
    """The desktop notification (`notify.desktop`; the bell is a setting of its own)."""

    OFF = "off"
    NOTIFY_SEND = "notify-send"
    OSC9 = "osc9"
    OSC777 = "osc777"


@dataclass(frozen=True)
class NewMail:
    """What arrived in one folder: how many messages, and (sender, subject) of the newest
    few, newest first. `folder` is named as the folder pane shows it."""

    account: str
    folder: str
    count: int
    newest: tuple[tuple[str, str], ...]

    @property
    def place(self) -> str:
        return f"{clean(self.account, 60)}/{clean(self.folder, 100)}"

    @property
    def sender(self) -> str:
        return self.newest[0][0] if self.newest else ""

    @property
    def subject(self) -> str:
        return self.newest[0][1] if self.newest else ""


def merged(batch: Sequence[NewMail]) -> list[NewMail]:
    """What arrived together, one entry per folder (in the order first seen): counts added,
    the newest few of the later news first."""
    by_place: dict[tuple[str, str], NewMail] = {}
    for mail in batch:
        key = (mail.account, mail.folder)
        before = by_place.get(key)
        if before is not None:
            mail = NewMail(mail.account, mail.folder, before.count + mail.count,
                           (*mail.newest, *before.newest)[:LISTED])
        by_place[key] = mail
    return list(by_place.values())


def clean(text: str, most: int = MOST) -> str:
    """One line of printable text with no escape or control character, at most `most` long."""
    return sanitize_line(text)[:most]


def folder_notifies(patterns: Iterable[str], name: str, shown: str) -> bool:
    """Whether a folder is one of `notify_folders`: a name or glob pattern ("Lists/*")
    matching the folder as the pane shows it or as the server spells it; INBOX in any case,
    as IMAP has it."""
    names = {_inbox_upper(name), _inbox_upper(shown)}
    return any(fnmatch.fnmatchcase(n, _inbox_upper(pattern))
               for pattern in patterns for n in names)


def _inbox_upper(name: str) -> str:
    return "INBOX" + name[5:] if name[:5].upper() == "INBOX" else name


def choose_notifier(env: Mapping[str, str] | None = None,
                    which: Callable[[str], str | None] = shutil.which) -> Notifier:
    """The best desktop notification this session offers ("auto" in the config)."""
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
    return Notifier.OFF


def notifier_for(setting: str, env: Mapping[str, str] | None = None) -> Notifier:
    """The notifier a validated `notify.desktop` setting names."""
    return choose_notifier(env) if setting == "auto" else Notifier(setting)


def headline(batch: Sequence[NewMail]) -> str:
    """One line for mail that arrived together: "New mail from Ann: Subject" for one
    message, else "3 new messages in work/INBOX" (the folders joined)."""
    total = sum(mail.count for mail in batch)
    if total == 1 and batch[0].newest:
        return f"New mail from {clean(batch[0].sender, 80)}: {clean(batch[0].subject)}"
    places = ", ".join(dict.fromkeys(mail.place for mail in batch))
    return f"{total} new message{'' if total == 1 else 's'} in {places}"


def newest_lines(batch: Sequence[NewMail], most: int = LISTED) -> list[str]:
    """"Sender: Subject" of the newest few, when the headline names none."""
    if sum(mail.count for mail in batch) == 1:
        return []
    pairs = [pair for mail in reversed(batch) for pair in mail.newest]
    return [f"{clean(sender, 80)}: {clean(subject)}" for sender, subject in pairs[:most]]


def _osc_text(text: str, most: int) -> str:
    # ";" separates OSC 777's fields; ESC and BEL, which end an OSC, are gone with the
    # control characters.
    return clean(text, most).replace(";", ",")


def osc_sequence(kind: Notifier, batch: Sequence[NewMail], *, tmux: bool = False) -> str:
    """The escape sequence of an OSC 9 or OSC 777 notification for `batch`."""
    lines = newest_lines(batch, 1)
    body = _osc_text(headline(batch) + (f" ({lines[0]})" if lines else ""), 300)
    if kind is Notifier.OSC9:
        seq = f"\x1b]9;{body}\x1b\\"
    elif kind is Notifier.OSC777:
        seq = f"\x1b]777;notify;tui-mail;{body}\x1b\\"
    else:
        raise ValueError(f"{kind} is not a terminal notification")
    if tmux:  # tmux passes it on only wrapped, with each ESC doubled
        seq = "\x1bPtmux;" + seq.replace("\x1b", "\x1b\x1b") + "\x1b\\"
    return seq


def notify_send_argv(batch: Sequence[NewMail]) -> list[str]:
    """notify-send's arguments. Notification daemons read the body as markup (<b>, <a href>,
    <img> in some), so the message's text is escaped: a subject cannot become a link."""
    body = "\n".join([headline(batch), *newest_lines(batch)])
    return ["notify-send", "--app-name=tui-mail", "--", "New mail",
            html.escape(body, quote=False)]


def hook_argv(command: str, mail: NewMail) -> list[str]:
    """The argument list of `new_mail_command` for `mail` (ValueError for a command that
    cannot be split; config validation reports that at load)."""
    words = shlex.split(command)
    if not words:
        raise ValueError("new_mail_command is empty")
    return [*words, clean(mail.account), clean(mail.folder), clean(mail.sender),
            clean(mail.subject), str(mail.count)]


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
