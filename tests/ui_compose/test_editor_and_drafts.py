"""The external editor, and drafts that survive the app going away."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from textual.widgets import Input

from tests.ui_compose.conftest import composer, settle, type_into
from tui_mail.mail.draftfile import draft_from_bytes

EDITOR_SCRIPT = """#!{python}
import sys
with open(sys.argv[1], "a", encoding="utf-8") as f:
    f.write("Written in the editor, ünïcode.\\n")
"""


@pytest.fixture
def editor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    script = tmp_path / "append-editor"
    script.write_text(EDITOR_SCRIPT.format(python=sys.executable))
    script.chmod(0o755)
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", str(script))
    return script


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
        assert any("cannot hand itself over" in str(n.message) for n in app._notifications)


async def test_the_editor_runs_on_the_body_and_the_body_is_reloaded(make_app, editor) -> None:
    app = make_app()
    calls: list[list[str]] = []

    def run_without_suspending(argv: list[str]) -> int:
        """What run_external_editor does inside `app.suspend()`, which run_test lacks."""
        calls.append(argv)
        return subprocess.run(argv, check=False).returncode

    app.run_external_editor = run_without_suspending  # type: ignore[method-assign]
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await app.run_action("compose")
        await settle(pilot)
        await type_into(pilot, "body", "First line\n")
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert composer(app).body.text == "First line\nWritten in the editor, ünïcode.\n"
    [[program, path]] = calls
    assert program == str(editor)
    assert not os.path.exists(path)  # the temporary file is removed


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
            if any(b"Half a thought" in d.raw for d in first.store.drafts()):
                break
            await pilot.pause(0.05)
        message_id = composer(first).message_id
        first.exit()  # no postpone, no save: as if the terminal closed
    [kept] = make_app().store.drafts()
    assert kept.key == message_id

    second = make_app()
    async with second.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert any("press D to reopen" in str(n.message) for n in second._notifications)
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
        [kept] = app.store.drafts()
        assert draft_from_bytes(kept.raw)[0].subject == "Later"
