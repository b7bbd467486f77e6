"""New-mail notifications: which one a session gets, their escapes, and the hook's arguments."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

from tui_mail.new_mail import (
    NewMail,
    Notifier,
    choose_notifier,
    hook_argv,
    notify_send_argv,
    osc_sequence,
    run_in_background,
)

HOSTILE = NewMail("work", "INBOX", "Eve \x1b]0;pwned\x07<eve@example.org>",
                  "$(touch /tmp/x); `id`; \x1b[2J\u202egpj.exe\x1b\\", count=3)


def have(*names: str):  # noqa: ANN201
    return lambda name: f"/usr/bin/{name}" if name in names else None


def test_a_graphical_session_with_notify_send_gets_desktop_notifications() -> None:
    assert choose_notifier({"DISPLAY": ":0"}, have("notify-send")) is Notifier.NOTIFY_SEND
    assert choose_notifier({"DISPLAY": ":0"}, have()) is Notifier.BELL


def test_terminals_get_the_escape_they_understand_else_the_bell() -> None:
    none = have()
    assert choose_notifier({"TERM_PROGRAM": "WezTerm"}, none) is Notifier.OSC9
    assert choose_notifier({"KITTY_WINDOW_ID": "1"}, none) is Notifier.OSC9
    assert choose_notifier({"TERM": "foot"}, none) is Notifier.OSC777
    assert choose_notifier({"VTE_VERSION": "7600"}, none) is Notifier.OSC777
    assert choose_notifier({"TERM": "xterm-256color"}, none) is Notifier.BELL


def test_an_osc_notification_carries_no_escape_of_the_message() -> None:
    for kind in (Notifier.OSC9, Notifier.OSC777):
        seq = osc_sequence(kind, HOSTILE)
        inner = seq[len("\x1b]"):-len("\x1b\\")]
        assert "\x1b" not in inner and "\x07" not in inner and "\u202e" not in inner
        assert "(and 2 more)" in inner
    fields = osc_sequence(Notifier.OSC777, HOSTILE)[len("\x1b]"):-2].split(";")
    assert fields[:2] == ["777", "notify"] and len(fields) == 4  # the subject's ";" are gone


def test_inside_tmux_the_escape_is_wrapped_for_passthrough() -> None:
    seq = osc_sequence(Notifier.OSC9, NewMail("a", "b", "c", "d"), tmux=True)
    assert seq.startswith("\x1bPtmux;\x1b\x1b]9;") and seq.endswith("\x1b\x1b\\\x1b\\")


def test_notify_send_gets_the_text_as_arguments_after_a_double_dash() -> None:
    argv = notify_send_argv(HOSTILE)
    assert argv[:3] == ["notify-send", "--app-name=tui-mail", "--"]
    assert all("\x1b" not in a for a in argv)


def test_a_subject_cannot_become_markup_in_a_desktop_notification() -> None:
    mail = NewMail("work", "INBOX", "Eve <eve@example.org>",
                   '<a href="https://evil.example/">Your bank</a> <b>now</b>')
    body = notify_send_argv(mail)[-1]
    assert "<" not in body and ">" not in body
    assert "&lt;a href=\"https://evil.example/\"&gt;Your bank&lt;/a&gt;" in body


def test_the_hook_gets_four_arguments_that_no_shell_reads(tmp_path: Path) -> None:
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
    assert len(got) == 5


def test_a_hook_that_hangs_is_stopped_and_a_missing_one_does_not_raise(tmp_path: Path) -> None:
    hanging = run_in_background(["sh", "-c", "sleep 60; echo done"], timeout=0.3)
    hanging.join(30)
    assert not hanging.is_alive()  # killed with its child, not waited for
    missing = run_in_background([str(tmp_path / "no-such-hook")])
    missing.join(10)
    assert not missing.is_alive()
