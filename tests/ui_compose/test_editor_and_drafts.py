"""The external editor, and drafts that survive the app going away."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from textual.widgets import Input

from tests.support.composer import composer, type_into
from tests.support.pilot import settle
from tui_mail.mail.draftfile import draft_from_bytes

EDITOR_SCRIPT = """import sys
with open(sys.argv[1], "a", encoding="utf-8") as f:
    f.write("Written in the editor, ünïcode.\\n")
"""


def use_editor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, source: str) -> Path:
    """A Python script as $EDITOR (`source` after its #! line)."""
    script = tmp_path / name
    script.write_text(f"#!{sys.executable}\n{source}")
    script.chmod(0o755)
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", str(script))
    return script


def run_editor_without_suspending(app: object) -> list[tuple[list[str], str]]:
    """Make the app run the editor as run_external_editor does inside `app.suspend()`, which
    run_test lacks; each call's argv and the text of the file it was given are recorded."""
    calls: list[tuple[list[str], str]] = []

    def run(argv: list[str]) -> int:
        calls.append((argv, Path(argv[-1]).read_text(encoding="utf-8")))
        return subprocess.run(argv, check=False).returncode

    app.run_external_editor = run  # type: ignore[attr-defined]
    return calls


@pytest.fixture
def editor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return use_editor(tmp_path, monkeypatch, "append-editor", EDITOR_SCRIPT)


async def test_the_headless_driver_cannot_suspend_so_the_editor_key_says_why(make_app,
                                                                             editor) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await app.run_action("compose")
        await settle(pilot)
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert composer(app).body.text == "-- \nSam\nExample Corp\n"
        assert any("cannot hand itself over" in n.message for n in app.notified)


async def test_the_editor_runs_on_the_body_and_the_body_is_reloaded(make_app, editor) -> None:
    app = make_app()
    calls = run_editor_without_suspending(app)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await app.run_action("compose")
        await settle(pilot)
        await type_into(pilot, "body", "First line\n")
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert composer(app).body.text == "First line\nWritten in the editor, ünïcode.\n"
    [([program, path], _)] = calls
    assert program == str(editor)
    assert not os.path.exists(path)  # the temporary file is removed


FIELDS_EDITOR = """import sys
path = sys.argv[1]
with open(path, encoding="utf-8") as f:
    head, _, body = f.read().partition("\\n\\n")
lines = []
for line in head.split("\\n"):
    name = line.split(":")[0]
    if name == "To":
        line = "To: Ann <ann@example.org>,\\n bob@example.org"
    elif name == "Subject":
        line = "Subject: Planned in vim\\nReply-To: lists@example.org"
    elif name == "From":
        line = "From: Nobody <nobody@nowhere.example>"
    lines.append(line)
with open(path, "w", encoding="utf-8") as f:
    f.write("\\n".join(lines) + "\\n\\n" + body + "Body from vim.\\n")
"""


async def test_the_editor_edits_the_fields_too_and_keeps_what_it_could_not_take(
        make_app, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_editor(tmp_path, monkeypatch, "fields-editor", FIELDS_EDITOR)
    app = make_app()
    calls = run_editor_without_suspending(app)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await app.run_action("compose")
        await settle(pilot)
        await type_into(pilot, "subject", "Old subject")
        await type_into(pilot, "body", "Typed first.\n")
        sender_before = composer(app).fields().sender
        await pilot.press("ctrl+g")
        await settle(pilot)
        c = composer(app)
        assert c.query_one("#to", Input).value == "Ann <ann@example.org>, bob@example.org"
        assert c.query_one("#subject", Input).value == "Planned in vim"
        # the line the composer has no field for is kept, at the top of the body
        assert c.body.text == "Reply-To: lists@example.org\nTyped first.\nBody from vim.\n"
        assert c.fields().sender == sender_before
        warnings = " ".join(n.message for n in app.notified)
        assert "'Reply-To' is not a field the composer has" in warnings
        assert "nobody@nowhere.example" in warnings and "sender is unchanged" in warnings
    [(_, given)] = calls
    assert given.startswith("From: ") and "\nSubject: Old subject\n\nTyped first." in given


async def test_an_editor_that_fails_leaves_the_message_and_keeps_the_edited_text(
        make_app, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_editor(tmp_path, monkeypatch, "failing-editor",
               "import sys\nopen(sys.argv[1], 'a', encoding='utf-8').write('half a thought')\n"
               "sys.exit(1)\n")
    app = make_app()
    run_editor_without_suspending(app)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await app.run_action("compose")
        await settle(pilot)
        await type_into(pilot, "body", "Typed.\n")
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert composer(app).body.text.startswith("Typed.\n")
        [warning] = [str(n.message) for n in app.notified if "status 1" in str(n.message)]
    kept = Path(warning.rsplit(" kept in ", 1)[1].rstrip("."))
    try:
        assert kept.read_text(encoding="utf-8").endswith("half a thought")
    finally:
        kept.unlink()


async def test_a_draft_is_autosaved_and_offered_again_after_the_app_went_away(make_app) -> None:
    first = make_app(autosave=0.05)
    async with first.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await first.run_action("compose")
        await settle(pilot)
        await type_into(pilot, "to", "carol@example.net")
        await type_into(pilot, "subject", "Unfinished")
        await type_into(pilot, "body", "Half a thought\n")
        for _ in range(100):  # the autosave timer, not a call from the test
            # It may have fired mid-typing: wait for the save that has the whole body.
            if any(b"Half a thought" in d.raw for d in first.store.queues.drafts()):
                break
            await pilot.pause(0.05)
        message_id = composer(first).message_id
        first.exit()  # no postpone, no save: as if the terminal closed
    [kept] = make_app().store.queues.drafts()
    assert kept.key == message_id

    second = make_app()
    async with second.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert any("press D to reopen" in n.message for n in second.notified)
        await second.run_action("drafts")
        await settle(pilot)
        assert type(second.screen).__name__ == "DraftPicker"
        await pilot.press("enter")
        await settle(pilot)
        screen = composer(second)
        assert screen.message_id == message_id
        assert screen.query_one("#subject", Input).value == "Unfinished"
        assert screen.query_one("#to", Input).value == "carol@example.net"
        assert screen.body.text == "Half a thought\n"


async def test_postpone_keeps_the_draft_and_closes(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await app.run_action("compose")
        await settle(pilot)
        await type_into(pilot, "subject", "Later")
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert type(app.screen).__name__ == "MailboxScreen"
        [kept] = app.store.queues.drafts()
        assert draft_from_bytes(kept.raw)[0].subject == "Later"
