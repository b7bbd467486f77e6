"""Autocrypt's Setup Message from the app: "Send an Autocrypt Setup Message (ACCOUNT)" in the
command palette sends the user's secret key to themselves, encrypted with a Setup Code that is
shown once, here; on the other device, `i` on the message's attachment asks for that code and
takes the key over (crypto.autocrypt_setup).

`TuiMailApp` inherits `AutocryptSetupActions`. The key is exported and encrypted in a worker
(gpg); the message goes through the outbox like any other.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label

from tui_mail.errors import TuiMailError
from tui_mail.model import AutocryptMode, CryptoKind
from tui_mail.ui.app_part import AppPart
from tui_mail.ui.widgets.compose_dialogs import DIALOG_CSS

if TYPE_CHECKING:
    from tui_mail.model import Account


class SetupCodeScreen(ModalScreen[None]):
    """The Setup Code, shown once: the other device asks for it."""

    DEFAULT_CSS = "SetupCodeScreen {" + DIALOG_CSS + """
        & .code { text-style: bold; color: $text-accent; padding: 1 4; }
    }"""
    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("enter,escape", "close", "Done"),
    ]

    def __init__(self, address: str, code: str) -> None:
        super().__init__()
        self._address = address
        self.code = code

    def compose(self) -> ComposeResult:
        groups = self.code.split("-")
        lines = "\n".join("-".join(groups[i:i + 3]) for i in range(0, len(groups), 3))
        with Vertical():
            yield Label(Content(f"An Autocrypt Setup Message is on its way to {self._address}."
                                " On your other device, open it, press a, then i on its"
                                " attachment, and type this Setup Code:"))
            yield Label(Content(lines), classes="code")
            yield Label(Content("It is shown only now: write it down, or keep it until the"
                                " other device has taken the key. Anyone with the message and"
                                " this code has your secret key."))
            yield Label(Content("Enter/Esc: done"), classes="hint")

    def action_close(self) -> None:
        self.dismiss(None)


class AutocryptSetupActions(AppPart):
    """Mixin for the App: `autocrypt_setup` (the palette's, one entry per account)."""

    def autocrypt_account_names(self) -> list[str]:
        """The accounts the palette offers "Send an Autocrypt Setup Message" for."""
        app = self.as_app
        return [account.name for account in (app.config.accounts if app.config else ())
                if account.autocrypt is not AutocryptMode.OFF
                and account.crypto is CryptoKind.OPENPGP]

    def action_autocrypt_setup(self, name: str = "") -> None:
        app = self.as_app
        if not name or name not in self.autocrypt_account_names():
            app.notify("Autocrypt Setup Messages are sent from an account with autocrypt ="
                       " \"mutual\" or \"nopreference\".", severity="warning", markup=False)
            return
        account = app.compose_account(name)
        if not app.can_send(account):
            app.notify(f"{name}: no outgoing server is configured; nothing can be sent.",
                       severity="warning", markup=False)
            return
        self._make_setup_message(account)

    @work(thread=True, exclusive=True, exit_on_error=False, group="autocrypt-setup",
          description="make an Autocrypt Setup Message")
    def _make_setup_message(self, account: Account, passphrase: str | None = None) -> None:
        from tui_mail.crypto.autocrypt_setup import (
            SetupPassphraseNeeded,
            setup_code,
            setup_message,
        )
        from tui_mail.crypto.gnupg import GnuPG
        from tui_mail.mail.compose import Composed

        app = self.as_app
        address = account.address.email
        code = setup_code()
        message_id = app.new_message_id(account)
        try:
            raw = setup_message(GnuPG("gpg"), address, account.autocrypt is AutocryptMode.MUTUAL,
                                code, when=datetime.now().astimezone(), message_id=message_id,
                                passphrase=passphrase)
        except SetupPassphraseNeeded as exc:
            app.call_from_thread(self._ask_export_passphrase, account, exc.key_hint)
            return
        except TuiMailError as exc:
            app.call_from_thread(app.notify, f"No Setup Message sent: {exc}",
                                 title="Autocrypt", severity="error", markup=False, timeout=12)
            return
        composed = Composed(raw, mail_from=address, rcpts=(address,), message_id=message_id)

        def sent() -> None:
            app.send_composed(account, composed, message_id)
            app.push_screen(SetupCodeScreen(address, code))

        app.call_from_thread(sent)

    def _ask_export_passphrase(self, account: Account, key_hint: str) -> None:
        from tui_mail.ui.screens.ask_text import AskText

        def answered(passphrase: str | None) -> None:
            if passphrase is not None:
                self._make_setup_message(account, passphrase)

        self.as_app.push_screen(AskText(f"Passphrase of your key, to put it in the Setup"
                                        f" Message: {key_hint}", secret=True,
                                        hint="Enter: continue · Esc: send nothing"), answered)
