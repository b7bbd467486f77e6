"""New-mail notifications: which one a session gets, what they say, their escapes, and the
hook's arguments."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

from tui_mail.new_mail import (
    NewMail,
    Notifier,
    choose_notifier,
    folder_notifies,
    headline,
    hook_argv,
    merged,
    newest_lines,
    notifier_for,
    notify_send_argv,
    osc_sequence,
    run_in_background,
)

HOSTILE = NewMail("work", "INBOX", 3, (
    ("Eve \x1b]0;pwned\x07<eve@example.org>",
     "$(touch /tmp/x); `id`; \x1b[2J\u202egpj.exe\x1b\\"),
    ("Ann", "older"), ("Bob", "oldest")))


def have(*names: str):  # noqa: ANN201
    return lambda name: f"/usr/bin/{name}" if name in names else None


def test_a_graphical_session_with_notify_send_gets_desktop_notifications() -> None:
    assert choose_notifier({"DISPLAY": ":0"}, have("notify-send")) is Notifier.NOTIFY_SEND
    assert choose_notifier({"DISPLAY": ":0"}, have()) is Notifier.OFF


def test_terminals_get_the_escape_they_understand_else_none() -> None:
    none = have()
    assert choose_notifier({"TERM_PROGRAM": "WezTerm"}, none) is Notifier.OSC9
    assert choose_notifier({"KITTY_WINDOW_ID": "1"}, none) is Notifier.OSC9
    assert choose_notifier({"TERM": "foot"}, none) is Notifier.OSC777
    assert choose_notifier({"VTE_VERSION": "7600"}, none) is Notifier.OSC777
    assert choose_notifier({"TERM": "xterm-256color"}, none) is Notifier.OFF


def test_a_desktop_setting_other_than_auto_is_taken_as_written() -> None:
    assert notifier_for("osc777", {"TERM_PROGRAM": "WezTerm"}) is Notifier.OSC777
    assert notifier_for("off", {"DISPLAY": ":0"}) is Notifier.OFF
    assert notifier_for("auto", {"TERM": "foot"}) is Notifier.OSC777


def test_one_message_is_named_and_several_are_counted_per_folder() -> None:
    one = NewMail("work", "INBOX", 1, (("Ann", "Lunch?"),))
    assert headline([one]) == "New mail from Ann: Lunch?"
    assert newest_lines([one]) == []
    assert headline([HOSTILE]) == "3 new messages in work/INBOX"
    home = NewMail("home", "Lists/dev", 2, (("Cy", "patch"), ("Di", "review")))
    assert headline([HOSTILE, home]) == "5 new messages in work/INBOX, home/Lists/dev"
    assert newest_lines([HOSTILE, home]) == ["Cy: patch", "Di: review", newest_lines(
        [HOSTILE])[0]]


def test_news_of_one_folder_arriving_in_two_reports_is_merged_newest_first() -> None:
    first = NewMail("work", "INBOX", 1, (("Ann", "one"),))
    other = NewMail("home", "INBOX", 1, (("Bob", "elsewhere"),))
    second = NewMail("work", "INBOX", 2, (("Cy", "three"), ("Di", "two")))
    assert merged([first, other, second]) == [
        NewMail("work", "INBOX", 3, (("Cy", "three"), ("Di", "two"), ("Ann", "one"))),
        other]


def test_notify_folders_match_names_and_patterns_as_shown_or_on_the_server() -> None:
    assert folder_notifies(["INBOX"], "INBOX", "INBOX")
    assert folder_notifies(["inbox"], "INBOX", "INBOX")
    assert not folder_notifies(["INBOX"], "Archive", "Archive")
    assert folder_notifies(["Lists/*"], "INBOX.Lists.dev", "Lists/dev")  # Courier's names
    assert folder_notifies(["INBOX.Lists.dev"], "INBOX.Lists.dev", "Lists/dev")
    assert not folder_notifies(["Lists/*"], "Listserv", "Listserv")
    assert not folder_notifies([], "INBOX", "INBOX")


def test_an_osc_notification_carries_no_escape_of_the_message() -> None:
    for kind in (Notifier.OSC9, Notifier.OSC777):
        seq = osc_sequence(kind, [HOSTILE])
        inner = seq[len("\x1b]"):-len("\x1b\\")]
        assert "\x1b" not in inner and "\x07" not in inner and "\u202e" not in inner
        assert "3 new messages in work/INBOX" in inner
    fields = osc_sequence(Notifier.OSC777, [HOSTILE])[len("\x1b]"):-2].split(";")
    assert fields[:3] == ["777", "notify", "tui-mail"] and len(fields) == 4  # no ";" left


def test_inside_tmux_the_escape_is_wrapped_for_passthrough() -> None:
    seq = osc_sequence(Notifier.OSC9, [NewMail("a", "b", 1, (("c", "d"),))], tmux=True)
    assert seq.startswith("\x1bPtmux;\x1b\x1b]9;") and seq.endswith("\x1b\x1b\\\x1b\\")


def test_notify_send_gets_the_text_as_arguments_after_a_double_dash() -> None:
    argv = notify_send_argv([HOSTILE])
    assert argv[:3] == ["notify-send", "--app-name=tui-mail", "--"]
    assert all("\x1b" not in a for a in argv)


def test_a_subject_cannot_become_markup_in_a_desktop_notification() -> None:
    mail = NewMail("work", "INBOX", 1, (("Eve <eve@example.org>",
                   '<a href="https://evil.example/">Your bank</a> <b>now</b>'),))
    body = notify_send_argv([mail])[-1]
    assert "<" not in body and ">" not in body
    assert "&lt;a href=\"https://evil.example/\"&gt;Your bank&lt;/a&gt;" in body


def test_the_hook_gets_five_arguments_that_no_shell_reads(tmp_path: Path) -> None:
    out = tmp_path / "args"
    hook = tmp_path / "hook"
    hook.write_text(f"#!{sys.executable}\nimport sys, json\n"
                    f"open({str(out)!r}, 'w').write(json.dumps(sys.argv[1:]))\n")
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)
    argv = hook_argv(f"{hook} --from-tui-mail", HOSTILE)
    run_in_background(argv).join(10)
    got = json.loads(out.read_text())
    assert got[:3] == ["--from-tui-mail", "work", "INBOX"]
    assert got[4].startswith("$(touch /tmp/x); `id`;") and "\x1b" not in got[4]
    assert got[5] == "3" and len(got) == 6


def test_a_hook_that_hangs_is_stopped_and_a_missing_one_does_not_raise(tmp_path: Path) -> None:
    hanging = run_in_background(["sh", "-c", "sleep 60; echo done"], timeout=0.3)
    hanging.join(30)
    assert not hanging.is_alive()  # killed with its child, not waited for
    missing = run_in_background([str(tmp_path / "no-such-hook")])
    missing.join(10)
    assert not missing.is_alive()
