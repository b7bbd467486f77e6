"""The `?` screen: every key in force on the screen below it, read from its live bindings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from tui_mail.ui.keys import BoundAction, Scope

SECTION_TITLES = {
    Scope.APP: "Everywhere",
    Scope.MAILBOX: "Mailbox",
    Scope.LIST: "Message list",
    Scope.FOLDERS: "Folders",
    Scope.MESSAGE: "Message",
    Scope.VIEW: "Message body",
    Scope.SEARCH: "Search",
    Scope.COMPOSER: "Composer",
    Scope.OUTBOX: "Outbox",
}


def help_content(bound: Sequence[BoundAction]) -> Content:
    """Sections of `keys  what it does  [action id]` lines, in registry order."""
    parts: list[Content] = []
    for scope in Scope:
        items = [b for b in bound if b.action.scope is scope]
        if not items:
            continue
        if parts:
            parts.append(Content(""))
        parts.append(Content.styled(SECTION_TITLES[scope], "bold $text-primary"))
        for item in items:
            keys = ", ".join(item.keys)
            parts.append(Content.assemble(
                "  ", (f"{keys:<16}", "$text-accent"), " ", item.action.help, "  ",
                (f"[{item.action.id}]", "$text-muted")))
    parts.append(Content(""))
    parts.append(Content.styled(
        "Remap any action in the [keys] table of the config by its id, e.g. "
        '"list.down" = "j,down".', "$text-muted"))
    parts.append(Content.styled("Ctrl+P opens the command palette with every action.",
                                "$text-muted"))
    return Content("\n").join(parts)


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("escape,q,question_mark", "close", "Close"),
    ]
    AUTO_FOCUS = "VerticalScroll"

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
        & > VerticalScroll {
            width: 110; max-width: 100%; height: 90%;
            border: round $primary; background: $panel; padding: 0 1;
        }
    }
    """

    def __init__(self, bound: Sequence[BoundAction]) -> None:
        super().__init__()
        self._bound = list(bound)

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(help_content(self._bound), id="help-text")

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).border_title = "Keys"

    def action_close(self) -> None:
        self.dismiss(None)
