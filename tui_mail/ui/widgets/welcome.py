"""The welcome line: the demo's "nothing here is your mail, here is how to add yours", shown
once after the first frame, for a few seconds, in a line of its own above the status line.

A toast there covered the list's last rows (at 80x24, eight of them for 15 s); this line
takes its room from the list instead, so nothing is hidden, and it goes away by itself.
"""

from __future__ import annotations

from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Static

WELCOME_SECONDS = 6.0


class WelcomeLine(Static):
    """One notice in a line of its own (wrapped on a narrow screen); it removes itself."""

    DEFAULT_CSS = """
    WelcomeLine {
        height: auto;
        padding: 0 1;
        background: $primary-muted;
        color: $text;
    }
    """

    def __init__(self, text: str) -> None:
        super().__init__(text, markup=False, id="welcome")

    def on_mount(self) -> None:
        self.set_timer(WELCOME_SECONDS, self.remove)


def show_welcome(screen: Screen[object], text: str) -> bool:
    """Put the line above `screen`'s status line; False when the screen has none."""
    try:
        status = screen.query_one("#status")
    except NoMatches:
        return False
    if not screen.query("#welcome"):
        screen.mount(WelcomeLine(text), before=status)
    return True
