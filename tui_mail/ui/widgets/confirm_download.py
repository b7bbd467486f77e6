"""Asks before a very large message is downloaded (above the account's `body_ask_above`)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label

from tui_mail.ui.widgets.compose_dialogs import DIALOG_CSS


class ConfirmDownload(ModalScreen[bool]):
    """y or Enter downloads, n or Escape does not."""

    DEFAULT_CSS = "ConfirmDownload {" + DIALOG_CSS + "& > Vertical { max-width: 72; } }"
    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("y,enter", "answer(True)", "Download"),
        Binding("n,escape", "answer(False)", "Not now"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self._question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Content(self._question))
            yield Label(Content("y/Enter: download   n/Esc: not now"), classes="hint")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
