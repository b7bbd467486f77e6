"""Small dialogs: "discard this message?", "delete for good?", and the list of drafts to reopen.

Draft subjects and recipients are untrusted text: they are shown as `Content`, never markup,
and with control characters removed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Label, OptionList
from textual.widgets.option_list import Option

from tui_mail.mail.draftfile import DraftFields
from tui_mail.mail.sanitize import sanitize_line

DIALOG_CSS = """
    align: center middle;
    & > Vertical {
        width: 80%; max-width: 100; height: auto; max-height: 80%;
        border: round $primary; background: $panel; padding: 0 1;
    }
    & Label { width: 100%; }
    & .hint { color: $text-muted; }
    & OptionList { height: auto; max-height: 20; border: none; }
"""


class Question(ModalScreen[bool]):
    """A yes-or-no question: the text, and a hint naming the keys. Subclasses give the keys
    (BINDINGS to `answer(True)` / `answer(False)`), the hint and their looks."""

    HINT = "y: yes   n/Esc: no"

    def __init__(self, question: str) -> None:
        super().__init__()
        self._question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Content(self._question))
            yield Label(Content(self.HINT), classes="hint")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class ConfirmDiscard(Question):
    """Asks before throwing away text that was not saved anywhere."""

    DEFAULT_CSS = "ConfirmDiscard {" + DIALOG_CSS + "}"
    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("y,d", "answer(True)", "Discard"),
        Binding("n,escape", "answer(False)", "Keep editing"),
    ]
    HINT = "y: discard   n/Esc: keep editing"


class ConfirmDelete(ModalScreen[bool]):
    """Asks before messages are deleted for good (those already in Trash): y confirms, n or
    Escape keeps them, Enter presses the focused button. "Keep" has the focus, so a stray
    Enter never destroys anything."""

    DEFAULT_CSS = "ConfirmDelete {" + DIALOG_CSS + """
        & > Vertical { border: round $error; max-width: 72; }
        & Horizontal { height: auto; width: 100%; align-horizontal: right; margin-top: 1; }
        & Button { margin-left: 2; }
    }"""
    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("y", "answer(True)", "Delete"),
        Binding("n,escape", "answer(False)", "Keep"),
        Binding("left,h", "app.focus_previous", "Previous button", show=False),
        Binding("right,l", "app.focus_next", "Next button", show=False),
    ]

    def __init__(self, question: str, confirm: str = "Delete for good") -> None:
        super().__init__()
        self._question = question
        self._confirm = confirm

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Content(self._question), id="question")
            yield Label(Content("y: delete   n/Esc: keep   Enter: the focused button"),
                        classes="hint")
            with Horizontal():
                yield Button(Content(self._confirm), variant="error", id="confirm",
                             compact=True)
                yield Button(Content("Keep"), id="keep", compact=True)

    def on_mount(self) -> None:
        self.query_one("#keep", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


def draft_line(fields: DraftFields, updated: datetime, *, encrypted: bool = False) -> Content:
    """One row of the drafts list: when, to whom, about what (an encrypted draft's Subject is
    inside it: it says so)."""
    subject = "(encrypted)" if encrypted else sanitize_line(fields.subject) or "(no subject)"
    to = sanitize_line(fields.to) or "(no recipient)"
    when = updated.strftime("%Y-%m-%d %H:%M")
    return Content(f"{when}  {subject[:60]}  → {to[:40]}  [{sanitize_line(fields.account)}]")


class DraftPicker(ModalScreen[int | None]):
    """Unsent drafts, newest first; Enter reopens one in the composer."""

    DEFAULT_CSS = "DraftPicker {" + DIALOG_CSS + "}"
    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("escape,q", "close", "Close"),
    ]

    def __init__(self, lines: Sequence[Content]) -> None:
        super().__init__()
        self._lines = list(lines)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Content(f"Unsent drafts ({len(self._lines)})"))
            yield OptionList(*[Option(line) for line in self._lines])
            yield Label(Content("Enter: reopen   Esc: close"), classes="hint")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = 0
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option_index)

    def action_close(self) -> None:
        self.dismiss(None)
