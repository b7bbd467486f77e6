"""Asks before a very large message is downloaded (above the account's `body_ask_above`)."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding

from tui_mail.ui.widgets.compose_dialogs import DIALOG_CSS, Question


class ConfirmDownload(Question):
    """y or Enter downloads, n or Escape does not."""

    DEFAULT_CSS = "ConfirmDownload {" + DIALOG_CSS + "& > Vertical { max-width: 72; } }"
    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("y,enter", "answer(True)", "Download"),
        Binding("n,escape", "answer(False)", "Not now"),
    ]
    HINT = "y/Enter: download   n/Esc: not now"
