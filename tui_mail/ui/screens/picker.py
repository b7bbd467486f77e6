"""Small modal lists: choose a link to open, or an attachment to save or open."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import webbrowser
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from tui_mail.model import Attachment
from tui_mail.ui.widgets.text import format_size, sanitize_line

if TYPE_CHECKING:
    from tui_mail.mail.mailcap import MailcapEntry, Viewer

SAFE_SCHEMES = ("http://", "https://", "mailto:", "ftp://")
OPENER_FAILS_WITHIN = 1.0  # seconds: an opener that exits non-zero by then did not open it


def unique_path(directory: Path, name: str) -> Path:
    """`directory/name`, or `name (1).ext`, `name (2).ext`... if that exists: never overwrite."""
    candidate = directory / name
    stem, suffix = Path(name).stem, Path(name).suffix
    n = 1
    while candidate.exists():
        candidate = directory / f"{stem} ({n}){suffix}"
        n += 1
    return candidate


def save_attachment(raw: bytes, attachment: Attachment, directory: Path, *,
                    name: str | None = None, private: bool = False) -> Path:
    """Write an attachment under `directory` with a sanitized, non-overwriting name.

    `name` replaces the attachment's own (sanitized) file name. A `private` copy (one handed
    to a viewer) is made 0600 whatever the umask; a file the user saves gets the usual mode.
    """
    from tui_mail.mail import attachment_bytes
    from tui_mail.mail.sanitize import sanitize_filename

    data = attachment_bytes(raw, attachment.index)
    directory.mkdir(parents=True, exist_ok=True)
    while True:
        path = unique_path(directory, name or sanitize_filename(attachment.filename))
        try:
            # O_EXCL: a file that appeared meanwhile is not replaced
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600 if private else 0o666)
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            return path
        except FileExistsError:
            continue


def named_for(viewer: Viewer, path: Path) -> tuple[Viewer, Path]:
    """Rename the copy as the mailcap entry's `nametemplate` asks (a viewer that goes by the
    extension), and the command with it."""
    from tui_mail.mail.mailcap import templated_name

    template = viewer.entry.name_template
    wanted = templated_name(template, path.name) if template else None
    if wanted is None or wanted == path.name:
        return viewer, path
    try:
        renamed = path.rename(path.with_name(wanted))
    except OSError:
        return viewer, path
    return viewer.for_path(str(renamed)), renamed


def open_with_system(path_or_url: str) -> bool:
    """Hand a file to the desktop's opener, detached: xdg-open, or `open` on macOS (elsewhere
    `open` is something else: openvt, run-mailcap). False when there is none, or when it
    fails at once (xdg-open with nothing to open the type with). Called from a worker."""
    opener = shutil.which("open") if sys.platform == "darwin" else shutil.which("xdg-open")
    if opener is None:
        return False
    try:
        process = subprocess.Popen([opener, path_or_url], stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   start_new_session=True)
    except OSError:
        return False
    try:
        return process.wait(timeout=OPENER_FAILS_WITHIN) == 0
    except subprocess.TimeoutExpired:  # still running: it found something to open it with
        return True


def read_mailcaps(environ: Mapping[str, str] | None = None) -> list[MailcapEntry]:
    """The entries of every readable mailcap file ($MAILCAPS, or ~/.mailcap, /etc/mailcap...)."""
    from tui_mail.mail.mailcap import mailcap_paths, parse_mailcap

    entries: list[MailcapEntry] = []
    for name in mailcap_paths(os.environ if environ is None else environ, str(Path.home())):
        try:
            text = Path(name).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        entries.extend(parse_mailcap(text))
    return entries


def mailcap_test_passes(command: str) -> bool:
    """Run a mailcap `test=` command (from the user's own mailcap); True when it exits 0."""
    try:
        return subprocess.run(["/bin/sh", "-c", command], stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              timeout=5, check=False).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def start_viewer(viewer: Viewer, path: Path) -> subprocess.Popen[bytes]:
    """Start a mailcap viewer detached from the terminal (its own session, no tty output)."""
    stdin = path.open("rb") if viewer.stdin else subprocess.DEVNULL
    try:
        return subprocess.Popen(["/bin/sh", "-c", viewer.command], stdin=stdin,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
    finally:
        if stdin is not subprocess.DEVNULL:
            stdin.close()  # type: ignore[union-attr]


def _graphical_session() -> bool:
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


class Picker(ModalScreen[None]):
    """A titled option list over the current screen; Escape closes it."""

    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("escape,q", "dismiss_picker", "Close"),
        Binding("j", "move(1)", "Down", show=False),
        Binding("k", "move(-1)", "Up", show=False),
        *[Binding(str(n), f"choose({n})", str(n), show=False) for n in range(1, 10)],
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

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if step > 0:
            options.action_cursor_down()
        else:
            options.action_cursor_up()

    def action_choose(self, number: int) -> None:
        """A number key: the option with that number (here: highlight it)."""
        if 1 <= number <= len(self._options):
            self.query_one(OptionList).highlighted = number - 1

    @property
    def highlighted(self) -> int | None:
        return self.query_one(OptionList).highlighted


class LinkPicker(Picker):
    """Numbered links of a message; Enter or the link's number opens it in the web browser."""

    def __init__(self, links: Sequence[str], notes: Mapping[str, str] | None = None,
                 listed: Sequence[tuple[str, str]] = ()) -> None:
        """`notes`: {url: "text shows paypal.com"} for links whose text shows another host;
        `listed`: (label, URI) of the mailing list's own links (List-Archive, List-Help...),
        after the body's, labelled."""
        notes = notes or {}
        options = [Content(f"[{i}] {sanitize_line(link)}")
                   + (Content(f"  ⚠ {sanitize_line(notes[link])}").stylize("bold $text-warning")
                      if notes.get(link) else Content(""))
                   for i, link in enumerate(links, 1)]
        options += [Content(f"[{i}] ") + Content(f"{sanitize_line(label)}: ").stylize("bold")
                    + Content(sanitize_line(uri))
                    for i, (label, uri) in enumerate(listed, len(links) + 1)]
        super().__init__("Open a link", options,
                         "Enter or 1-9: open in the browser   j/k: move   Esc: close")
        self._links = [*links, *(uri for _, uri in listed)]

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self._open(event.option_index)

    def action_choose(self, number: int) -> None:
        if 1 <= number <= len(self._links):
            self._open(number - 1)

    def _open(self, index: int) -> None:
        url = self._links[index]
        shown = sanitize_line(url)
        if not url.lower().startswith(SAFE_SCHEMES):
            self.notify(f"Not opened: {shown[:80]} is not a web link.",
                        severity="warning", markup=False)
            return
        app = self.app
        self.dismiss(None)
        if not open_in_browser(app, url):
            app.notify(f"No web browser could be started. The link is:\n{shown}",
                       title="Link not opened", severity="warning", markup=False, timeout=30)


def open_in_browser(app: object, url: str) -> bool:
    """`webbrowser.open`, False when it fails. Without a graphical session the browser is a
    terminal one (w3m, lynx...): the app hands it the terminal meanwhile."""
    def run() -> bool:
        try:
            return webbrowser.open(url) is not False
        except Exception:  # webbrowser.Error, OSError from a broken $BROWSER...
            return False

    if not _graphical_session():
        try:
            with app.suspend():  # type: ignore[attr-defined]
                return run()
        except SuspendNotSupported:
            pass
    return run()


class AttachmentPicker(Picker):
    """Attachments of a message; Enter (or s) saves, o opens with the system's opener, i
    imports an OpenPGP key into the user's keyring."""

    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("s", "save", "Save"),
        Binding("o", "open", "Open"),
        Binding("i", "import_key", "Import key"),
    ]

    def __init__(self, attachments: Sequence[Attachment], raw: bytes) -> None:
        from tui_mail.mail.trust import attachment_label

        options = [
            Content(f"{i}. {sanitize_line(a.filename)}  ({sanitize_line(a.content_type)}, "
                    f"{format_size(a.size)})")
            + (Content(f"  {attachment_label(a)}").stylize("bold $text-warning")
               if attachment_label(a) else Content(""))
            for i, a in enumerate(attachments, 1)
        ]
        super().__init__("Attachments", options,
                         "Enter/s: save   o: open   i: import a key   Esc: close")
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
        if index is not None:
            self._open_attachment(index)

    def action_import_key(self) -> None:
        from tui_mail.crypto.autocrypt_setup import SETUP_TYPE

        index = self.highlighted
        if index is None:
            return
        if self._attachments[index].content_type.lower() == SETUP_TYPE:
            if self._from_the_user_to_themselves():
                self._ask_setup_code(index)
            else:
                self.notify("Not imported: an Autocrypt Setup Message comes from one of your"
                            " own addresses to that same address, and this one does not.",
                            title="Autocrypt", severity="error", markup=False, timeout=12)
            return
        self._import_key(index)

    def _from_the_user_to_themselves(self) -> bool:
        """The message is a Setup Message (level 1) from one of the user's addresses."""
        from tui_mail.mail.autocrypt import is_setup_message
        from tui_mail.mail.headers import parse_headers

        if not is_setup_message(self._raw):
            return False
        sender = parse_headers(self._raw).from_
        own = getattr(self.app, "own_addresses", None)
        addresses = own() if callable(own) else frozenset()
        return bool(sender) and sender[0].email.lower() in addresses

    def _ask_setup_code(self, index: int) -> None:
        """An Autocrypt Setup Message's key: asked for the Setup Code the sending device
        showed (its first two digits said), then taken into the keyring."""
        from tui_mail.crypto.autocrypt_setup import passphrase_begin
        from tui_mail.mail.parse import attachment_bytes
        from tui_mail.ui.screens.ask_text import AskText

        page = attachment_bytes(self._raw, self._attachments[index].index)
        begin = passphrase_begin(page)
        hint = f" (it begins {begin})" if begin else ""

        def answered(code: str | None) -> None:
            if code:
                self._take_over(page, code)

        self.app.push_screen(AskText(f"Setup Code{hint}: the 36 digits your other device"
                                     " showed", secret=False,
                                     hint="Enter: import your key · Esc: leave it"), answered)

    @work(thread=True, exclusive=True, exit_on_error=False, group="import-key",
          description="take over an Autocrypt setup")
    def _take_over(self, page: bytes, code: str) -> None:
        from tui_mail.crypto.autocrypt_setup import take_over
        from tui_mail.crypto.gnupg import CryptoError, GnuPG
        from tui_mail.mail.security import grouped

        app = self.app
        try:
            done = take_over(GnuPG("gpg"), page, code)
        except CryptoError as exc:
            app.call_from_thread(app.notify, f"Not imported: {exc}", title="Autocrypt",
                                 severity="error", markup=False, timeout=12)
            return
        keys = [*done.imported.changed, *done.imported.unchanged]
        said = "; ".join(f"{key.user_ids[0] if key.user_ids else '(no user id)'},"
                         f" {grouped(key.fingerprint)}" for key in keys)
        setting = "mutual" if done.mutual else "nopreference"
        app.call_from_thread(app.notify, f"Your key is in this keyring now: {said}. The other"
                             f" device had autocrypt = \"{setting}\": set it for this account"
                             " too.", title="Autocrypt", markup=False, timeout=30)

    @work(thread=True, exclusive=True, exit_on_error=False, group="import-key",
          description="import a key")
    def _import_key(self, index: int) -> None:
        """The attachment's OpenPGP keys into the user's keyring, or its S/MIME certificates
        into gpgsm's, and their fingerprints said (to compare with the owner's)."""
        from tui_mail.crypto.gnupg import CryptoError
        from tui_mail.crypto.keys import import_certificates, import_keys
        from tui_mail.mail.parse import attachment_bytes
        from tui_mail.mail.security import grouped

        app = self.app
        attachment = self._attachments[index]
        data = attachment_bytes(self._raw, attachment.index)
        try:
            imported = import_keys(data)
        except CryptoError as exc:
            if "secret key" in str(exc):
                app.call_from_thread(app.notify, f"Not imported: {exc}", title="Key",
                                     severity="error", markup=False, timeout=12)
                return
            try:
                imported = import_certificates(data)
            except CryptoError as second:
                said = str(second) if "private key" in str(second) else \
                    f"{exc}; nor is there an S/MIME certificate"
                app.call_from_thread(app.notify, f"Not imported: {said}", title="Key",
                                     severity="error", markup=False, timeout=12)
                return
        keys = [*imported.changed, *imported.unchanged]
        said = "; ".join(f"{key.user_ids[0] if key.user_ids else '(no user id)'}, "
                         f"{grouped(key.fingerprint)}" for key in keys)
        verb = "Imported" if imported.changed else "Already in your keyring"
        app.call_from_thread(app.notify, f"{verb}: {said}. Compare the fingerprint with the "
                             "one its owner gives you before you trust it.", title="Key",
                             markup=False, timeout=30)

    @work(thread=True, exclusive=True, exit_on_error=False, group="open-attachment",
          description="open attachment")
    def _open_attachment(self, index: int) -> None:
        """Save a copy under a fresh temporary folder, then: the mailcap entry for its type,
        else the desktop's opener, else say where it was saved."""
        from tui_mail.mail.mailcap import choose_viewer, safe_temp_name
        from tui_mail.ui.opened_files import fresh_opened_folder

        app = self.app
        attachment = self._attachments[index]
        try:
            directory = fresh_opened_folder()
            path = save_attachment(self._raw, attachment, directory,
                                   name=safe_temp_name(attachment.filename), private=True)
        except OSError as exc:
            app.call_from_thread(app.notify, f"Could not open: {exc}", severity="error",
                                 markup=False)
            return
        entries = read_mailcaps()
        viewer = choose_viewer(entries, attachment.content_type, str(path),
                               passes_test=mailcap_test_passes)
        if viewer is not None:
            viewer, path = named_for(viewer, path)
        if viewer is not None and viewer.needs_terminal:
            if app.call_from_thread(self._run_in_terminal, viewer, path):
                return
            viewer = choose_viewer(entries, attachment.content_type, str(path),
                                   passes_test=mailcap_test_passes, allow_terminal=False)
            if viewer is not None:
                viewer, path = named_for(viewer, path)
        if viewer is not None:
            self._run_detached(viewer, path)
            return
        if open_with_system(str(path)):
            app.call_from_thread(self._close)
            return
        kind = sanitize_line(attachment.content_type)
        app.call_from_thread(app.notify, f"No viewer for {kind} (no mailcap entry, no "
                             f"xdg-open). Saved as {path}", title="Attachment",
                             severity="warning", markup=False, timeout=30)

    def _run_detached(self, viewer: Viewer, path: Path) -> None:
        app = self.app
        try:
            process = start_viewer(viewer, path)
        except OSError as exc:
            app.call_from_thread(app.notify, f"Could not start the viewer: {exc}",
                                 severity="error", markup=False)
            return
        app.call_from_thread(self._close)
        try:  # a viewer that fails at once (not installed...) is reported, not silent
            code = process.wait(timeout=OPENER_FAILS_WITHIN)
        except subprocess.TimeoutExpired:
            return
        if code != 0:
            app.call_from_thread(
                app.notify, f"The viewer ({viewer.entry.command}) exited with status {code}. "
                f"The file is {path}", title="Attachment", severity="warning", markup=False,
                timeout=30)

    def _run_in_terminal(self, viewer: Viewer, path: Path) -> bool:
        """Run a needsterminal viewer on the real terminal, the app suspended meanwhile."""
        try:
            with self.app.suspend():
                stdin = path.open("rb") if viewer.stdin else None
                try:
                    subprocess.run(["/bin/sh", "-c", viewer.command], stdin=stdin, check=False)
                finally:
                    if stdin is not None:
                        stdin.close()
        except SuspendNotSupported:
            return False
        except OSError as exc:
            self.notify(f"Could not start the viewer: {exc}", severity="error", markup=False)
        self._close()
        return True

    def _close(self) -> None:
        if self.is_current:
            self.dismiss(None)
