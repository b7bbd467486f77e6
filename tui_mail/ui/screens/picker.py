"""Small modal lists: choose a link to open, or an attachment to save or open."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import webbrowser
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from tui_mail.model import Attachment
from tui_mail.ui.widgets.text import format_size, sanitize_line

SAFE_SCHEMES = ("http://", "https://", "mailto:", "ftp://")


def unique_path(directory: Path, name: str) -> Path:
    """`directory/name`, or `name (1).ext`, `name (2).ext`... if that exists: never overwrite."""
    candidate = directory / name
    stem, suffix = Path(name).stem, Path(name).suffix
    n = 1
    while candidate.exists():
        candidate = directory / f"{stem} ({n}){suffix}"
        n += 1
    return candidate


def save_attachment(raw: bytes, attachment: Attachment, directory: Path) -> Path:
    """Write an attachment under `directory` with a sanitized, non-overwriting name."""
    from tui_mail.mail import attachment_bytes
    from tui_mail.mail.sanitize import sanitize_filename

    data = attachment_bytes(raw, attachment.index)
    directory.mkdir(parents=True, exist_ok=True)
    while True:
        path = unique_path(directory, sanitize_filename(attachment.filename))
        try:
            with path.open("xb") as out:  # "x": a file that appeared meanwhile is not replaced
                out.write(data)
            return path
        except FileExistsError:
            continue


def open_with_system(path_or_url: str) -> bool:
    """Hand a file to the desktop's opener (xdg-open), detached. False when there is none."""
    opener = shutil.which("xdg-open") or shutil.which("open")
    if opener is None:
        return False
    subprocess.Popen([opener, path_or_url], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL, start_new_session=True)
    return True


class Picker(ModalScreen[None]):
    """A titled option list over the current screen; Escape closes it."""

    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("escape,q", "dismiss_picker", "Close"),
    ]
    AUTO_FOCUS = "OptionList"

    DEFAULT_CSS = """
    Picker {
        align: center middle;
        & > Vertical {
            width: 80%; max-width: 100; height: auto; max-height: 80%;
            border: round $primary; background: $panel; padding: 0 1;
        }
        & Label { width: 100%; color: $text-muted; }
        & OptionList { height: auto; max-height: 20; border: none; }
    }
    """

    def __init__(self, title: str, options: Sequence[Content], hint: str) -> None:
        super().__init__()
        self._title = title
        self._options = options
        self._hint = hint

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Content(self._title))
            yield OptionList(*[Option(option) for option in self._options])
            yield Label(Content(self._hint))

    def on_mount(self) -> None:
        self.query_one(OptionList).highlighted = 0

    def action_dismiss_picker(self) -> None:
        self.dismiss(None)

    @property
    def highlighted(self) -> int | None:
        return self.query_one(OptionList).highlighted


class LinkPicker(Picker):
    """Numbered links of a message; Enter opens one in the web browser."""

    def __init__(self, links: Sequence[str]) -> None:
        options = [Content(f"[{i}] {sanitize_line(link)}") for i, link in enumerate(links, 1)]
        super().__init__("Open a link", options, "Enter: open in the browser   Esc: close")
        self._links = list(links)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        url = self._links[event.option_index]
        if not url.lower().startswith(SAFE_SCHEMES):
            self.notify(f"Not opened: {sanitize_line(url)[:80]} is not a web link.",
                        severity="warning", markup=False)
            return
        webbrowser.open(url)
        self.dismiss(None)


class AttachmentPicker(Picker):
    """Attachments of a message; Enter (or s) saves, o opens with the system's opener."""

    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("s", "save", "Save"),
        Binding("o", "open", "Open"),
    ]

    def __init__(self, attachments: Sequence[Attachment], raw: bytes) -> None:
        options = [
            Content(f"{i}. {sanitize_line(a.filename)}  ({sanitize_line(a.content_type)}, "
                    f"{format_size(a.size)})")
            for i, a in enumerate(attachments, 1)
        ]
        super().__init__("Attachments", options, "Enter/s: save   o: open   Esc: close")
        self._attachments = list(attachments)
        self._raw = raw

    def _directory(self) -> Path:
        config = getattr(self.app, "config", None)
        if config is not None:
            return Path(config.ui.attachments_dir).expanduser()
        return Path.home() / "Downloads"

    def _save(self, index: int) -> Path | None:
        try:
            return save_attachment(self._raw, self._attachments[index], self._directory())
        except OSError as exc:
            self.notify(f"Could not save: {exc}", severity="error", markup=False)
            return None

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self._save_and_report(event.option_index)

    def _save_and_report(self, index: int) -> None:
        path = self._save(index)
        if path is not None:
            self.notify(f"Saved {path}", title="Attachment", markup=False)
            self.dismiss(None)

    def action_save(self) -> None:
        if self.highlighted is not None:
            self._save_and_report(self.highlighted)

    def action_open(self) -> None:
        index = self.highlighted
        if index is None:
            return
        directory = Path(tempfile.mkdtemp(prefix="tui-mail-"))
        try:
            path = save_attachment(self._raw, self._attachments[index], directory)
        except OSError as exc:
            self.notify(f"Could not open: {exc}", severity="error", markup=False)
            return
        if open_with_system(str(path)):
            self.dismiss(None)
        else:
            self.notify(f"No opener (xdg-open) found; saved as {path}", markup=False)
