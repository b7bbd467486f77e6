"""Driving the composer: the screen it is, and typing into its fields."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from tui_mail.ui.app import TuiMailApp
from tui_mail.ui.screens.composer import ComposerScreen


def composer(app: TuiMailApp) -> ComposerScreen:
    screen = app.screen
    assert isinstance(screen, ComposerScreen), type(screen)
    return screen


async def type_into(pilot: Pilot[Any], widget_id: str, text: str) -> None:
    """Put `text` in an Input (typed key by key) or replace a TextArea's text."""
    widget = pilot.app.screen.query_one(f"#{widget_id}")
    if isinstance(widget, TextArea):
        widget.load_text(text)
    else:
        assert isinstance(widget, Input)
        widget.focus()
        await pilot.pause()
        await pilot.press(*text)
    await pilot.pause()
