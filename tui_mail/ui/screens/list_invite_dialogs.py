"""The two questions of lists and invitations: "unsubscribe, this way?" and "answer how?".

Their text names a list, a host, an event title: a stranger's words, shown as `Content`
(never markup) after the mail layer cleaned them.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label

from tui_mail.mail.invite import Answer
from tui_mail.ui.widgets.compose_dialogs import DIALOG_CSS, Question


class ConfirmUnsubscribe(Question):
    """y or Enter unsubscribes as the question says; n or Escape does nothing."""

    DEFAULT_CSS = "ConfirmUnsubscribe {" + DIALOG_CSS + "}"
    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("y,enter", "answer(True)", "Unsubscribe"),
        Binding("n,escape", "answer(False)", "Cancel"),
    ]
    HINT = "y/Enter: unsubscribe   n/Esc: cancel"


class AnswerInvite(ModalScreen[Answer | None]):
    """a: accept, t: tentative, d: decline; Escape sends nothing."""

    DEFAULT_CSS = "AnswerInvite {" + DIALOG_CSS + "& > Vertical { max-width: 72; } }"
    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("a", "answer('ACCEPTED')", "Accept"),
        Binding("t", "answer('TENTATIVE')", "Tentative"),
        Binding("d", "answer('DECLINED')", "Decline"),
        Binding("escape,q", "answer('')", "Cancel"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self._question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Content(self._question))
            yield Label(Content("a: accept   t: tentative   d: decline   Esc: cancel"),
                        classes="hint")

    def action_answer(self, answer: str) -> None:
        self.dismiss(Answer(answer) if answer else None)
