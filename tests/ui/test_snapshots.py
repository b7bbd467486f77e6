"""Snapshots of the main screens at 80x24 and 160x48 in a dark and a light theme.

Regenerate after a deliberate visual change with `pytest tests/ui --snapshot-update` and review
the SVG diff. "Now" is frozen (conftest.NOW), so the date column does not drift.
"""

from __future__ import annotations

import pytest
from textual.widgets import Input

from tests.support.pilot import settle

THEMES = ["tui-mail-dark", "tui-mail-light"]
SIZES = [(80, 24), (160, 48)]


async def _mailbox(pilot) -> None:
    await settle(pilot)
    await pilot.press("j", "j")
    await settle(pilot)


async def _message(pilot) -> None:
    await settle(pilot)
    await pilot.press("j", "j", "j", "enter")
    await settle(pilot)


async def _search(pilot) -> None:
    await settle(pilot)
    await pilot.press("slash")
    pilot.app.screen.query_one("#query", Input).cursor_blink = False
    await pilot.press(*"from:carol")
    await settle(pilot)


async def _threads(pilot) -> None:
    """The threaded view with one thread folded (the hostile message's row first)."""
    await settle(pilot)
    await pilot.press("T")
    await settle(pilot)
    await pilot.press("j", "z")
    await settle(pilot)


async def _help(pilot) -> None:
    await settle(pilot)
    await pilot.press("question_mark")
    await settle(pilot)


async def _folders(pilot) -> None:
    """The folder pane, focused (over the list at 80 columns)."""
    await settle(pilot)
    await pilot.press("c", "j", "j")
    await settle(pilot)


SCREENS = {"mailbox": _mailbox, "message": _message, "search": _search, "threads": _threads,
           "help": _help, "folders": _folders}


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("screen", list(SCREENS))
def test_screen_snapshot(snap_compare, make_app, theme: str, size: tuple[int, int],
                         screen: str) -> None:
    app = make_app(theme=theme)
    assert snap_compare(app, terminal_size=size, run_before=SCREENS[screen])
