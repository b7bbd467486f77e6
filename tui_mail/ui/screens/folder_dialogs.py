"""The questions folder management asks: a folder's name (new, or a rename), and whether to
delete a folder with its messages.

Folder names come from servers: they are shown through `sanitize_line` and plain `Content`,
never as markup.
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

from tui_mail.model import Folder, path_in_namespace
from tui_mail.ui.widgets.compose_dialogs import DIALOG_CSS
from tui_mail.ui.widgets.text import sanitize_line

NAME_HINT = "Subfolders: Projects/2025 · Enter: {verb} · Esc: cancel"


def typed_path(folder: Folder) -> str:
    """A folder's name as the user types it: its path inside its namespace with "/" between
    levels ("INBOX.Projects.2025" on Courier -> "Projects/2025")."""
    return path_in_namespace(folder.name, folder.prefix, folder.delimiter)


def delete_question(folder: Folder) -> str:
    """"Delete folder Projects and its 12 messages?" (the count the cache holds)."""
    name = sanitize_line(folder.name)
    if folder.total == 0:
        return f"Delete folder {name}? It holds no messages."
    what = "1 message" if folder.total == 1 else f"{folder.total} messages"
    return f"Delete folder {name} and its {what}? This cannot be undone."


class FolderNameDialog(ModalScreen[str | None]):
    """Asks for a folder name; dismisses with the text typed (stripped), or None on Escape
    or an empty name."""

    DEFAULT_CSS = "FolderNameDialog {" + DIALOG_CSS + """
        & > Vertical { max-width: 72; }
        & #folder-name-title { color: $text-primary; text-style: bold; }
        & #folder-name { border: tall $border; }
    }"""
    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("escape", "cancel", "Cancel", show=False),
    ]
    AUTO_FOCUS = "#folder-name"

    def __init__(self, title: str, value: str = "", verb: str = "create") -> None:
        super().__init__()
        self._title = title
        self._value = value
        self._verb = verb

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Content(sanitize_line(self._title)), id="folder-name-title")
            yield Input(value=self._value, placeholder="Folder name…", id="folder-name")
            yield Label(Content(NAME_HINT.format(verb=self._verb)), classes="hint")

    @on(Input.Submitted, "#folder-name")
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
