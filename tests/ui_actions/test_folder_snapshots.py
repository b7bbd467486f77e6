"""Snapshots of the new-folder dialog and of the move picker offering `create "NAME"`, at 80x24
and 160x48 (demo account).

Regenerate after a deliberate visual change with
`pytest tests/ui_actions/test_folder_snapshots.py --snapshot-update` and review the SVG diff.
"""

from __future__ import annotations

import pytest

from tests.support.pilot import settle

SIZES = [(80, 24), (160, 48)]


async def _new_folder_dialog(pilot) -> None:
    await settle(pilot)
    await pilot.press("c", "N")
    await settle(pilot)
    pilot.app.screen.query_one("#folder-name").cursor_blink = False
    await pilot.press(*"Projects/2025")
    await settle(pilot)


async def _picker_create(pilot) -> None:
    await settle(pilot)
    await pilot.press("s")
    await settle(pilot)
    pilot.app.screen.query_one("#folder-query").cursor_blink = False
    await pilot.press(*"Receipts 2025")
    await settle(pilot)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_new_folder_dialog_snapshot(snap_compare, demo_app, size: tuple[int, int]) -> None:
    assert snap_compare(demo_app(), terminal_size=size, run_before=_new_folder_dialog)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_picker_create_choice_snapshot(snap_compare, demo_app, size: tuple[int, int]) -> None:
    assert snap_compare(demo_app(), terminal_size=size, run_before=_picker_create)
