"""The `?` screen: every key in force on the screen below it, read from its live bindings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
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
    Scope.KEYS: "Keys",
}


def help_rows(bound: Sequence[BoundAction]) -> list[tuple[str, Content, Content]]:
    """The help as rows of (kind, keys, text): kind is "title", "key" or "note"; sections in
    registry order, one key row per action in force."""
    rows: list[tuple[str, Content, Content]] = []
    for scope in Scope:
        items = [b for b in bound if b.action.scope is scope]
        if not items:
            continue
        rows.append(("title", Content.styled(SECTION_TITLES[scope], "bold $text-primary"),
                     Content("")))
        for item in items:
            rows.append(("key", Content.styled(", ".join(item.keys), "$text-accent"),
                         Content.assemble(item.action.help, "  ",
                                          (f"[{item.action.id}]", "$text-muted"))))
    rows.append(("note", Content.styled(
        "Remap any action in the [keys] table of the config by its id, e.g. "
        '"list.down" = "j,down". Ctrl+P opens the command palette with every action.',
        "$text-muted"), Content("")))
    return rows


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("escape,q,question_mark", "close", "Close"),
        # The pager keys of a mutt or vim user, beside the arrows and PageUp/PageDown.
        Binding("j", "scroll('down')", show=False),
        Binding("k", "scroll('up')", show=False),
        Binding("space,ctrl+f", "scroll('page_down')", show=False),
        Binding("b,ctrl+b", "scroll('page_up')", show=False),
        Binding("g", "scroll('home')", show=False),
        Binding("G", "scroll('end')", show=False),
    ]
    AUTO_FOCUS = "VerticalScroll"

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
        & > VerticalScroll {
            width: 110; max-width: 100%; height: 90%;
            border: round $primary; background: $panel; padding: 0 1;
        }
        /* The text wraps beside the keys, not under them. */
        & .help-row { height: auto; }
        & .help-keys { width: 20; padding-left: 2; }
        & .help-text { width: 1fr; }
        & .help-title { margin-top: 1; }
        & .help-title:first-child { margin-top: 0; }
        & .help-note { margin-top: 1; }
    }
    """

    def __init__(self, bound: Sequence[BoundAction]) -> None:
        super().__init__()
        self._bound = list(bound)

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            for kind, keys, text in help_rows(self._bound):
                if kind == "key":
                    with Horizontal(classes="help-row"):
                        yield Static(keys, classes="help-keys")
                        yield Static(text, classes="help-text")
                else:
                    yield Static(keys, classes=f"help-{kind}")

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).border_title = "Keys"

    def action_close(self) -> None:
        self.dismiss(None)

    def action_scroll(self, where: str) -> None:
        body = self.query_one(VerticalScroll)
        {"down": body.scroll_down, "up": body.scroll_up, "page_down": body.scroll_page_down,
         "page_up": body.scroll_page_up, "home": body.scroll_home,
         "end": body.scroll_end}[where](animate=False)
