"""Choose a folder by typing part of its path (fuzzy, like the command palette): move and copy.

With `can_create`, a name no folder matches is offered as `create "NAME"`: picking it
dismisses with a `NewFolder`, which the caller makes before moving or copying there.

Folder names come from the server, so they are shown through `sanitize_line` and plain
`Content`, never as markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.fuzzy import FuzzySearch
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from tui_mail.ui.widgets.text import sanitize_line

MATCH_STYLE = "bold underline"


@dataclass(frozen=True)
class NewFolder:
    """The picker's `create "NAME"` choice: the name as typed (a path in the account's own
    namespace, "/" between levels)."""

    typed: str


def rank_folders(query: str, folders: Sequence[str]) -> list[tuple[str, Content]]:
    """Folders matching `query` (fuzzy, case-insensitive), best first, with the matched
    letters highlighted; all folders in their order when the query is empty."""
    if not query.strip():
        return [(folder, Content(sanitize_line(folder))) for folder in folders]
    # Not `Matcher.highlight`: it parses the candidate as markup, and folder names are not ours.
    search = FuzzySearch()
    scored = []
    for index, folder in enumerate(folders):
        shown = sanitize_line(folder)
        score, offsets = search.match(query.strip(), shown)
        if score > 0:
            content = Content(shown)
            for offset in offsets:
                content = content.stylize(MATCH_STYLE, offset, offset + 1)
            scored.append((-score, index, folder, content))
    scored.sort(key=lambda item: (item[0], item[1]))
    return [(folder, content) for _, _, folder, content in scored]


class FolderPicker(ModalScreen[str | NewFolder | None]):
    """Type to filter, Up/Down to choose, Enter to pick, Escape to cancel. Dismisses with
    the folder's name (as the server spells it), a `NewFolder` (with `can_create`), or None."""

    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("escape", "cancel", "Cancel", show=False),
        Binding("down", "cursor(1)", "Next", show=False, priority=True),
        Binding("up", "cursor(-1)", "Previous", show=False, priority=True),
    ]
    AUTO_FOCUS = "#folder-query"

    DEFAULT_CSS = """
    FolderPicker {
        align: center middle;
        & > Vertical {
            width: 70; max-width: 100%; height: auto; max-height: 80%;
            border: round $primary; background: $panel; padding: 0 1;
        }
        & Label { width: 100%; }
        & #folder-title { color: $text-primary; text-style: bold; }
        & #folder-hint { color: $text-muted; }
        & #folder-query { border: tall $border-blurred; }
        & #folder-query:focus { border: tall $border; }
        & OptionList { height: auto; max-height: 14; border: none; background: $panel; }
    }
    """

    def __init__(self, title: str, folders: Sequence[str], *, can_create: bool = False) -> None:
        super().__init__()
        self._title = title
        self._folders = list(folders)
        self._can_create = can_create
        self._shown: list[str | NewFolder] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Content(self._title), id="folder-title")
            yield Input(placeholder="Folder name…", id="folder-query")
            yield OptionList(id="folder-options")
            yield Label(Content("Type to filter · ↑↓ choose · Enter: pick · Esc: cancel"),
                        id="folder-hint")

    def on_mount(self) -> None:
        self._filter("")

    @property
    def options(self) -> OptionList:
        return self.query_one("#folder-options", OptionList)

    @property
    def shown(self) -> list[str | NewFolder]:
        """The choices listed now: folders, best match first, then perhaps `NewFolder`."""
        return list(self._shown)

    def _filter(self, query: str) -> None:
        ranked = rank_folders(query, self._folders)
        self._shown = [folder for folder, _ in ranked]
        choices = [Option(content) for _, content in ranked]
        typed = sanitize_line(query)
        if self._can_create and typed and not _names_a_folder(typed, self._folders):
            # Last, after the matches: "Bank" can be made beside "Banking".
            self._shown.append(NewFolder(typed))
            choices.append(Option(Content.assemble(("create ", "italic"), f"\"{typed}\"")))
        options = self.options
        options.clear_options()
        if choices:
            options.add_options(choices)
            options.highlighted = 0
        else:
            options.add_option(Option(Content("No folder matches."), disabled=True))

    @on(Input.Changed, "#folder-query")
    def _query_changed(self, event: Input.Changed) -> None:
        self._filter(event.value)

    @on(Input.Submitted, "#folder-query")
    def _submitted(self) -> None:
        self._choose(self.options.highlighted)

    @on(OptionList.OptionSelected, "#folder-options")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._choose(event.option_index)

    def _choose(self, index: int | None) -> None:
        if index is None or not 0 <= index < len(self._shown):
            self.notify("No folder matches; type less of its name.", severity="warning")
            return
        self.dismiss(self._shown[index])

    def action_cursor(self, step: int) -> None:
        options = self.options
        if not self._shown:
            return
        current = options.highlighted or 0
        options.highlighted = max(0, min(len(self._shown) - 1, current + step))

    def action_cancel(self) -> None:
        self.dismiss(None)


def _names_a_folder(typed: str, folders: Sequence[str]) -> bool:
    """Whether `typed` is the name of one of `folders` (whole, or its last level, whatever
    the case): then there is nothing to create."""
    want = typed.casefold().strip("/")
    return any(name.casefold() == want or name.casefold().endswith(("/" + want, "." + want))
               for name in folders)
