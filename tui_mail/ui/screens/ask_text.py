"""Two small questions the message actions ask: a line of text (a command, a path, a query)
and yes or no.

What they show may come from messages (a subject in a file name): it is shown through
`sanitize_line` and plain `Content`, never as markup.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from tui_mail.ui.widgets.compose_dialogs import DIALOG_CSS, Question
from tui_mail.ui.widgets.text import sanitize_line


class AskText(ModalScreen[str | None]):
    """Asks for one line; dismisses with the text typed (stripped), or None on Escape or
    an empty line."""

    DEFAULT_CSS = "AskText {" + DIALOG_CSS + """
        & > Vertical { max-width: 90; }
        & #ask-title { color: $text-primary; text-style: bold; }
        & #ask-text { border: tall $border; }
    }"""
    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("escape", "cancel", "Cancel", show=False),
    ]
    AUTO_FOCUS = "#ask-text"

    def __init__(self, title: str, value: str = "", *, placeholder: str = "",
                 hint: str = "Enter: go · Esc: cancel", secret: bool = False) -> None:
        """`secret`: a passphrase, shown as dots and returned as typed (not stripped)."""
        super().__init__()
        self._title = title
        self._value = value
        self._placeholder = placeholder
        self._hint = hint
        self._secret = secret

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Content(sanitize_line(self._title)), id="ask-title")
            yield Input(value=self._value, placeholder=self._placeholder, id="ask-text",
                        password=self._secret)
            yield Label(Content(self._hint), classes="hint")

    @on(Input.Submitted, "#ask-text")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self._secret:
            self.dismiss(event.value or None)
            return
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class YesNo(Question):
    """y does it, n or Escape does not."""

    DEFAULT_CSS = "YesNo {" + DIALOG_CSS + "& > Vertical { max-width: 72; } }"
    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]
    HINT = "y: yes   n/Esc: no"
