"""Snapshots of the composer on a reply (quoted text, signature, an attachment) at two sizes.

Regenerate after a deliberate visual change with
`pytest tests/ui_compose/test_snapshots.py --snapshot-update` and review the SVG diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

from tests.support.pilot import settle

SIZES = [(80, 24), (160, 48)]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_composer_snapshot(snap_compare, make_app, tmp_path: Path, size: tuple[int, int]) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"n" * 3000)

    async def open_reply(pilot) -> None:
        await settle(pilot)
        await pilot.app.run_action("reply")
        await settle(pilot)
        screen = pilot.app.screen
        screen.query_one("#attach", Input).value = str(notes)
        screen.query_one("#attach", Input).focus()
        await pilot.press("enter")
        screen.body.focus()
        for field in screen.query(Input):
            field.cursor_blink = False
        screen.body.cursor_blink = False
        await settle(pilot)

    app = make_app()
    assert snap_compare(app, terminal_size=size, run_before=open_reply)
