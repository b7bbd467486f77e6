"""Getting messages out of the app (pipe, .eml, mbox, print) and acting on many at once (mark
the thread or the folder read, tag a thread, tag by query), on the demo account."""

from __future__ import annotations

import email
import mailbox
import subprocess
import sys
from email import policy
from pathlib import Path

import pytest
from textual.widgets import Input, Label

from tests.support.pilot import settle
from tui_mail.config import UISettings
from tui_mail.model import MessageSummary
from tui_mail.ui.app import TuiMailApp
from tui_mail.ui.screens.ask_text import AskText, YesNo
from tui_mail.ui.screens.message import MessageScreen
from tui_mail.ui.widgets.message_list import MessageList


def run_without_suspending(app: TuiMailApp) -> list[list[str]]:
    """Run piped commands as `run_in_terminal` does inside `app.suspend()` (which run_test
    lacks), without the wait for Enter; each argv is recorded."""
    calls: list[list[str]] = []

    def run(argv: list[str], data: bytes) -> int:
        calls.append(argv)
        return subprocess.run(argv, input=data, check=False).returncode

    app.run_in_terminal = run  # type: ignore[method-assign]
    return calls


def demo(demo_app, tmp_path: Path, **ui: object) -> TuiMailApp:
    app = demo_app()
    app.ui_settings = UISettings(attachments_dir=tmp_path / "saved", **ui)  # type: ignore[arg-type]
    return app


def notices(app: TuiMailApp) -> list[str]:
    return [n.message for n in app.notified]


def question_asked(app: TuiMailApp) -> str:
    """The text of the question on screen (its first line)."""
    return str(app.screen.query(Label).first().content)


def message_list(app: TuiMailApp) -> MessageList:
    return app.screen.query_one(MessageList)


async def answer(pilot, text: str) -> None:
    """Type `text` into the question asked (replacing what it offered) and press Enter."""
    assert isinstance(pilot.app.screen, AskText)
    pilot.app.screen.query_one(Input).value = text
    await pilot.press("enter")
    await settle(pilot)


async def test_pipe_gives_the_command_the_raw_message_with_lf_line_ends_and_remembers_it(
        demo_app, tmp_path):
    app = demo(demo_app, tmp_path)
    calls = run_without_suspending(app)
    out = tmp_path / "piped.eml"
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        first = message_list(app).selected
        await pilot.press("vertical_line")
        await settle(pilot)
        await answer(pilot, f"cat > {out} && echo done >> {out}.log")
        raw = app.store.raw_message(first.id)
        assert b"\r\n" in raw  # as on the wire; the command's tools want \n
        assert out.read_bytes() == raw.replace(b"\r\n", b"\n")
        assert calls == [["/bin/sh", "-c", f"cat > {out} && echo done >> {out}.log"]]
        assert f"Piped 1 message to cat > {out}" in notices(app)[-1]

        await pilot.press("vertical_line")  # the last command is offered again
        await settle(pilot)
        assert app.screen.query_one(Input).value.startswith(f"cat > {out}")
        await pilot.press("escape")
        await settle(pilot)
        assert len(calls) == 1


async def test_pipe_of_tagged_messages_sends_them_one_after_another(demo_app, tmp_path):
    app = demo(demo_app, tmp_path)
    run_without_suspending(app)
    out = tmp_path / "two.mbox"
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        first, second = message_list(app).summary_at(0), message_list(app).summary_at(1)
        await pilot.press("t", "t", "vertical_line")
        await settle(pilot)
        await answer(pilot, f"cat > {out}")
    raws = [app.store.raw_message(s.id) for s in (first, second)]
    assert out.read_bytes() == b"".join(
        r if r.endswith(b"\n") else r + b"\n" for r in raws).replace(b"\r\n", b"\n")


async def test_a_failing_pipe_command_is_said_with_its_status(demo_app, tmp_path):
    app = demo(demo_app, tmp_path)
    run_without_suspending(app)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("vertical_line")
        await settle(pilot)
        await answer(pilot, "exit 3")
        assert "The command (exit 3) exited with status 3." in notices(app)


async def test_the_headless_driver_cannot_hand_the_terminal_over_and_pipe_says_so(demo_app,
                                                                                 tmp_path):
    app = demo(demo_app, tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("vertical_line")
        await settle(pilot)
        await answer(pilot, "cat")
        assert "cannot hand itself over to a command" in notices(app)[-1]


async def test_the_raw_source_is_on_R_only_and_pipe_works_in_the_viewer(demo_app, tmp_path):
    app = demo(demo_app, tmp_path)
    run_without_suspending(app)
    out = tmp_path / "viewed.eml"
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        shown = message_list(app).summary_at(2)
        message_list(app).cursor = 2
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
        await pilot.press("vertical_line")
        await settle(pilot)
        assert isinstance(app.screen, AskText)  # not the raw source
        await answer(pilot, f"cat > {out}")
        assert out.read_bytes() == app.store.raw_message(shown.id).replace(b"\r\n", b"\n")


async def test_w_saves_the_raw_message_as_eml_and_asks_before_replacing(demo_app, tmp_path):
    app = demo(demo_app, tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        first = message_list(app).selected
        raw = app.store.raw_message(first.id)
        await pilot.press("w")
        await settle(pilot)
        offered = Path(app.screen.query_one(Input).value)
        assert offered.parent == tmp_path / "saved" and offered.suffix == ".eml"
        await pilot.press("enter")
        await settle(pilot)
        assert offered.read_bytes() == raw
        parsed = email.message_from_bytes(offered.read_bytes(), policy=policy.default)
        assert parsed["Subject"] == first.subject
        assert f"Saved {offered}" in notices(app)

        offered.write_bytes(b"mine")
        await pilot.press("w")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, YesNo)
        await pilot.press("n")
        await settle(pilot)
        assert offered.read_bytes() == b"mine"
        await pilot.press("w")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert offered.read_bytes() == raw


async def test_w_on_tagged_messages_writes_one_file_each_in_a_folder(demo_app, tmp_path):
    app = demo(demo_app, tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        tagged = [message_list(app).summary_at(i) for i in range(3)]
        await pilot.press("t", "t", "t", "w")
        await settle(pilot)
        await answer(pilot, str(tmp_path / "out"))
    files = sorted((tmp_path / "out").iterdir())
    assert len(files) == 3 and all(f.suffix == ".eml" for f in files)
    assert sorted(f.read_bytes() for f in files) == sorted(
        app.store.raw_message(s.id) for s in tagged)


async def test_W_appends_to_an_mbox_that_python_reads_and_remembers_the_path(demo_app,
                                                                              tmp_path):
    app = demo(demo_app, tmp_path)
    path = tmp_path / "kept.mbox"
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        first, second = message_list(app).summary_at(0), message_list(app).summary_at(1)
        await pilot.press("W")
        await settle(pilot)
        await answer(pilot, str(path))
        await pilot.press("j", "W")
        await settle(pilot)
        assert app.screen.query_one(Input).value == str(path)
        await pilot.press("enter")
        await settle(pilot)
        assert f"Appended 1 message to {path}" in notices(app)
    box = mailbox.mbox(path)
    assert [m["Message-ID"].strip("<>") for m in box] == [
        first.message_id.strip("<>"), second.message_id.strip("<>")]


def printer(tmp_path: Path) -> tuple[str, Path]:
    """A print command that writes what it is given to a file."""
    out = tmp_path / "printed.txt"
    script = tmp_path / "fake-lpr"
    script.write_text(f"#!{sys.executable}\nimport sys\n"
                      f"open({str(out)!r}, 'wb').write(sys.stdin.buffer.read())\n")
    script.chmod(0o755)
    return f"{script} -P office", out


async def test_P_prints_the_header_block_and_text_through_print_command(demo_app, tmp_path):
    command, out = printer(tmp_path)
    app = demo(demo_app, tmp_path, print_command=command)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        first = message_list(app).selected
        await pilot.press("P")
        await settle(pilot)
    printed = out.read_text(encoding="utf-8")
    assert printed.startswith("From: ")
    assert f"Subject: {first.subject}" in printed
    assert "Sent 1 message to the printer" in notices(app)[-1]


async def test_P_with_a_missing_print_command_names_the_setting(demo_app, tmp_path):
    app = demo(demo_app, tmp_path, print_command="no-such-lpr-here")
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("P")
        await settle(pilot)
        assert "print_command 'no-such-lpr-here' not found: set [ui] print_command in" \
            in notices(app)[-1]


def unread_in(app: TuiMailApp, ids: list[int]) -> set[int]:
    return app.store.listing.unread_among(ids)


def thread_with_unread(app: TuiMailApp) -> tuple[MessageSummary, list[int]]:
    """A message of the demo's inbox whose thread has more than one message, some unread."""
    store = app.store
    rows = message_list(app)
    for row in range(rows.row_count):
        summary = rows.summary_at(row)
        if summary is None:
            continue
        members = store.listing.thread_members(summary.id)
        if len(members) > 1 and store.listing.unread_among(members):
            return summary, members
    pytest.fail("the demo has no thread with unread messages")


async def test_ctrl_r_marks_the_whole_thread_read_and_u_takes_it_back(demo_app, tmp_path):
    app = demo(demo_app, tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        summary, members = thread_with_unread(app)
        unread_before = unread_in(app, members)
        message_list(app).select_id(summary.id)
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert unread_in(app, members) == set()
        assert f"Marked read {len(unread_before)} message" in notices(app)[-1]
        await pilot.press("u")
        await settle(pilot)
        assert unread_in(app, members) == unread_before


def inbox_unread(app: TuiMailApp) -> int:
    return next(f.unread for f in app.store.folders("demo") if f.name == "INBOX")


async def test_M_asks_with_the_count_then_marks_the_whole_folder_read(demo_app, tmp_path):
    app = demo(demo_app, tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        before = inbox_unread(app)
        assert before > 1
        await pilot.press("M")
        await settle(pilot)
        assert isinstance(app.screen, YesNo)
        assert f"Mark {before} unread messages in" in question_asked(app)
        await pilot.press("n")
        await settle(pilot)
        assert inbox_unread(app) == before
        assert "Nothing marked read." in notices(app)
        await pilot.press("M")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert inbox_unread(app) == 0
        assert f"Marked read {before} messages." in notices(app)[-1]


async def test_M_in_search_results_marks_every_result_read_and_nothing_else(demo_app,
                                                                             tmp_path,
                                                                             monkeypatch):
    monkeypatch.setattr("tui_mail.ui.screens.mailbox_marks.SEARCH_PAGE", 1)  # page on
    app = demo(demo_app, tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        unread = app.store.listing.search("is:unread", account="demo", folder="INBOX", limit=1000)
        assert len(unread) > 1
        target = unread[0].sender.email
        matching = {s.id for s in app.store.listing.search(f"from:{target}", account="demo",
                                                   folder="INBOX", limit=1000)}
        others = {s.id for s in unread} - matching
        assert len(matching) > 1 and unread_in(app, list(matching)) and others
        await pilot.press("slash")
        for key in f"from:{target}":
            await pilot.press(key)
        await settle(pilot)
        await pilot.press("enter", "M")  # to the results, then M
        await settle(pilot)
        assert isinstance(app.screen, YesNo)
        assert "in the search results read?" in question_asked(app)
        await pilot.press("y")
        await settle(pilot)
        assert unread_in(app, list(matching)) == set()
        assert unread_in(app, list(others)) == others


async def test_ctrl_t_tags_the_thread_and_again_untags_it(demo_app, tmp_path):
    app = demo(demo_app, tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        summary, members = thread_with_unread(app)
        message_list(app).select_id(summary.id)
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert {s.id for s in message_list(app).tagged} == set(members)
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert message_list(app).tagged == []


async def test_star_tags_exactly_the_messages_of_the_folder_matching_the_query(demo_app,
                                                                             tmp_path):
    app = demo(demo_app, tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        expected = {s.id for s in app.store.listing.search("is:unread", account="demo",
                                                   folder="INBOX", limit=1000)}
        assert expected
        await pilot.press("asterisk")
        await settle(pilot)
        await answer(pilot, "is:unread")
        assert {s.id for s in message_list(app).tagged} == expected
        assert f"Tagged {len(expected)} messages matching is:unread" in notices(app)[-1]

        await pilot.press("asterisk")
        await settle(pilot)
        await answer(pilot, "from:(")
        assert any("Nothing tagged" in n for n in notices(app))


async def test_pipe_the_text_from_the_palette_gives_the_decoded_text(demo_app, tmp_path):
    app = demo(demo_app, tmp_path)
    run_without_suspending(app)
    out = tmp_path / "text.txt"
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        first = message_list(app).selected
        await app.screen.run_action("pipe_text")
        await settle(pilot)
        await answer(pilot, f"cat > {out}")
    text = out.read_text()
    assert f"Subject: {first.subject}" in text
    assert "Content-Transfer-Encoding" not in text and "\r" not in text
