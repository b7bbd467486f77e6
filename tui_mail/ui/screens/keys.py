"""The key list ("Keys" in the command palette): the OpenPGP keys of the user's GnuPG, theirs
first, and the keys learned from correspondents' Autocrypt headers, each with the fingerprint
to compare with what its owner reads out; `i` puts a learned key in the keyring.

User ids and addresses come from other people: they are shown through `sanitize_line` in plain
`Content`, never parsed as markup. Listing runs gpg: it happens in a worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from tui_mail.errors import TuiMailError
from tui_mail.ui.cache_guard import SaysCacheErrors
from tui_mail.ui.keys import Scope, bindings, key_display
from tui_mail.ui.widgets.key_bar import KeyBar

if TYPE_CHECKING:
    from tui_mail.crypto.keys import KeyInfo
    from tui_mail.mail.autocrypt import Peer
    from tui_mail.ui.app import TuiMailApp


@dataclass(frozen=True)
class Learned:
    """A key an account learned by Autocrypt, as gpg reads it (None: not a usable key)."""

    account: str
    peer: Peer
    key: KeyInfo | None


@dataclass(frozen=True)
class KeyLists:
    keyring: list[KeyInfo]
    learned: list[Learned]  # those whose key the keyring does not hold
    error: str = ""  # why the keyring could not be read (GnuPG missing...)


def read_key_lists(app: TuiMailApp) -> KeyLists:
    """Both lists; blocking (runs gpg)."""
    from tui_mail.crypto.autocrypt_keys import can_encrypt_to
    from tui_mail.crypto.gnupg import GnuPG
    from tui_mail.crypto.keys import list_keys, show_key

    try:
        keyring = list_keys()
    except TuiMailError as exc:
        return KeyLists([], [], str(exc))
    held = {key.fingerprint for key in keyring}
    learned = []
    gpg = GnuPG("gpg")
    with app.open_reader() as reader:  # a worker thread's own connection
        peers = reader.autocrypt_peers()
    for account, peer in peers:
        try:  # one key that can encrypt, or it is shown as not usable
            key = show_key(peer.key or b"", gpg) if can_encrypt_to(gpg, peer.key or b"") \
                else None
        except TuiMailError:
            key = None
        if key is None or key.fingerprint not in held:
            learned.append(Learned(account, peer, key))
    return KeyLists(keyring, learned)


def key_content(key: KeyInfo) -> Content:
    from tui_mail.crypto.keys import describe_key

    first, *rest = describe_key(key)
    style = "bold" if key.secret else ""
    if key.validity in ("expired", "revoked", "disabled", "invalid"):
        style = "$text-error"
    return Content("\n").join([Content.styled(first, style),
                               *(Content.styled(line, "$text-muted") for line in rest)])


def learned_content(learned: Learned) -> Content:
    from tui_mail.crypto.keys import describe_peer

    first, second = describe_peer(learned.account, learned.peer, learned.key)
    return Content("\n").join([Content.assemble(("learned", "$text-accent"), f"  {first}"),
                               Content.styled(second, "$text-muted")])


class KeysScreen(SaysCacheErrors, Screen[None]):
    """Every key the app knows of; re-read after an import."""

    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = bindings(
        Scope.KEYS)
    AUTO_FOCUS = "#key-list"

    DEFAULT_CSS = """
    KeysScreen {
        & #keys-title { width: 100%; padding: 0 1; background: $panel;
                        color: $text-primary; text-style: bold; }
        & #key-list { height: 1fr; border: none; }
        & #keys-note { padding: 1 2; color: $text-muted; }
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self._lists = KeyLists([], [])

    @property
    def tui(self) -> TuiMailApp:
        return self.app  # type: ignore[return-value]

    @property
    def lists(self) -> KeyLists:
        return self._lists

    def compose(self) -> ComposeResult:
        yield Label("Keys", id="keys-title")
        yield OptionList(id="key-list")
        yield Label(Content("Reading your keyring…"), id="keys-note")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#key-list").display = False
        self._read()

    @work(thread=True, exclusive=True, exit_on_error=False, group="keys",
          description="read the keys")
    def _read(self, select: str = "") -> None:
        lists = read_key_lists(self.tui)
        self.app.call_from_thread(self._show, lists, select)

    def _show(self, lists: KeyLists, select: str) -> None:
        self._lists = lists
        options = self.query_one("#key-list", OptionList)
        options.clear_options()
        entries: list[Option | None] = [Option(key_content(key), id=f"k:{key.fingerprint}")
                                        for key in lists.keyring]
        if lists.learned:
            if entries:
                entries.append(None)  # a separator
            entries += [Option(learned_content(item), id=f"l:{i}")
                        for i, item in enumerate(lists.learned)]
        options.add_options(entries)
        import_key = key_display(self.app, "keys.import")
        title = (f"Keys · {len(lists.keyring)} in your keyring · {len(lists.learned)} learned"
                 f" by Autocrypt")
        self.query_one("#keys-title", Label).update(Content(title))
        note = self.query_one("#keys-note", Label)
        if lists.error:
            note.update(Content(f"Your keyring cannot be read: {lists.error}"))
        elif not lists.keyring and not lists.learned:
            note.update(Content("No OpenPGP key yet: `gpg --quick-gen-key 'Your Name"
                                " <you@example.com>'` makes yours; a correspondent's comes in"
                                " with i on a key attachment, or by Autocrypt."))
        else:
            note.update(Content(
                f"Compare a fingerprint with the one its owner gives you before you trust it."
                f" {import_key} puts a learned key in your keyring."))
        options.display = bool(entries)
        if entries:
            ids = [option.id if option else None for option in entries]
            options.highlighted = ids.index(select) if select in ids else 0

    @property
    def selected_learned(self) -> Learned | None:
        options = self.query_one("#key-list", OptionList)
        if options.highlighted is None:
            return None
        option_id = options.get_option_at_index(options.highlighted).id or ""
        if not option_id.startswith("l:"):
            return None
        return self._lists.learned[int(option_id[2:])]

    def action_back(self) -> None:
        self.dismiss(None)

    def action_import(self) -> None:
        learned = self.selected_learned
        if learned is None:
            self.notify("Only a key learned by Autocrypt can be imported here; the others are"
                        " in your keyring already.", markup=False)
            return
        if learned.key is None or not learned.peer.key:
            self.notify("This learned key is not one gpg can use.", severity="warning",
                        markup=False)
            return
        self._import(learned.peer.key)

    @work(thread=True, exit_on_error=False, group="keys-import", description="import a key")
    def _import(self, data: bytes) -> None:
        from tui_mail.crypto.keys import import_keys

        try:
            imported = import_keys(data, one=True)
        except TuiMailError as exc:
            self.app.call_from_thread(self.notify, f"Not imported: {exc}", severity="error",
                                      markup=False)
            return
        keys = imported.changed or imported.unchanged
        fingerprint = keys[0].fingerprint if keys else ""
        self.app.call_from_thread(self.notify, "Imported into your keyring. Compare its"
                                  " fingerprint before you trust it.", markup=False)
        lists = read_key_lists(self.tui)
        self.app.call_from_thread(self._show, lists, f"k:{fingerprint}")
