"""Signing an OAuth2 account in again from the running app (the palette's "Sign in to NAME").

The sign-in starts as the screen opens, in a thread worker (tui_mail.oauth2.tokens.sign_in
through the app's `oauth_setup` seam): the provider's address or device code, Copy, the field
for the address pasted over SSH and Cancel are the setup screen's (`SignInWait`). Success
dismisses the screen with where the sign-in is kept; a refusal or a cancel is said here, with
the way to try again, and changes nothing else.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static
from textual.worker import Worker, WorkerState

from tui_mail.errors import SecretError, TuiMailError
from tui_mail.mail.sanitize import sanitize_line
from tui_mail.oauth2.words import failure_words
from tui_mail.ui.widgets.sign_in_wait import SignInWait

if TYPE_CHECKING:
    from tui_mail.model import Account
    from tui_mail.setup.oauth import OAuthSetup


def provider_label(account: Account) -> str:
    """"Google", "Microsoft", or the host of a custom provider's sign-in page."""
    from tui_mail.oauth2.providers import provider_label as label_of

    assert account.oauth2 is not None
    return label_of(account.oauth2)


class SignInScreen(ModalScreen[str | None]):
    """Signs `account` in again; dismissed with where the sign-in is kept (`kept_where`), or
    None when the user closes it without signing in."""

    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("escape", "cancel", "Cancel / close"),
    ]
    AUTO_FOCUS = "#cancel-sign-in"
    DEFAULT_CSS = """
    SignInScreen { align: center middle; }
    SignInScreen #sign-in-box {
        width: 90%; max-width: 100; height: auto; max-height: 90%;
        border: thick $primary; background: $surface; padding: 0 2;
    }
    SignInScreen #sign-in-title { text-style: bold; padding-top: 1; }
    SignInScreen #sign-in-intro { color: $text-muted; }
    SignInScreen #sign-in-error { color: $text-error; margin-top: 1; display: none; }
    SignInScreen #sign-in-again-buttons { height: auto; margin: 1 0; }
    SignInScreen #sign-in-again-buttons Button { margin-right: 1; }
    """

    def __init__(self, account: Account) -> None:
        super().__init__()
        assert account.oauth2 is not None, "only an OAuth2 account signs in"
        self.account = account
        self.label = provider_label(account)

    @property
    def oauth(self) -> OAuthSetup:
        """The app's `oauth_setup` (a test's authorization server), else the real one."""
        return self.app.sign_in_setup()  # type: ignore[attr-defined]

    @property
    def wait(self) -> SignInWait:
        return self.query_one("#sign-in-wait", SignInWait)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="sign-in-box"):
            yield Static(sanitize_line(f"Sign in to {self.account.name}"), id="sign-in-title",
                         markup=False)
            yield Static(sanitize_line(
                f"Sign in with {self.label} as {self.account.incoming.username}: the account "
                "syncs again once you have."), id="sign-in-intro", markup=False)
            yield SignInWait(id="sign-in-wait")
            yield Static("", id="sign-in-error", markup=False)
            with Horizontal(id="sign-in-again-buttons"):
                yield Button(Content(sanitize_line(f"Sign in with {self.label}")),
                             id="sign-in-again", variant="primary")
                yield Button("Close", id="sign-in-close")

    def on_mount(self) -> None:
        # After the first refresh: the panel's own children are mounted by then.
        self.call_after_refresh(self.start)

    # ---- the sign-in ------------------------------------------------------------------------

    @on(Button.Pressed, "#sign-in-again")
    def start(self) -> None:
        if self.wait.running:
            return
        error = self.query_one("#sign-in-error", Static)
        error.update("")
        error.display = False
        self.query_one("#sign-in-again-buttons").display = False
        cancel = self.wait.begin(self.label)
        self._run(self.oauth, self.wait, cancel)

    @work(thread=True, exclusive=True, group="sign-in", exit_on_error=False)
    def _run(self, oauth: OAuthSetup, wait: SignInWait, cancel: threading.Event) -> None:
        """The sign-in (blocking: a browser's redirect or a device code's approval)."""
        from tui_mail.oauth2 import tokens
        from tui_mail.oauth2.http import OAuthError

        try:
            oauth.sign_in(self.account, wait.prompt(), cancel,
                          open_browser=oauth.open_browser or wait.open_browser,
                          receiver_ready=wait.receiver_ready)
            where = tokens.kept_where(self.account)
        except (OAuthError, SecretError) as exc:
            self.app.call_from_thread(self._failed, self._failure(exc))
            return
        self.app.call_from_thread(self._signed_in, where)

    def _failure(self, exc: TuiMailError) -> str:
        again = (f"Press Sign in with {self.label} to try again, or Escape to close (the "
                 "account stays offline until it signs in).")
        if isinstance(exc, SecretError):
            said = str(exc)
            return f"{said[:1].upper()}{said[1:].rstrip('.')}. {again}"
        name = self.account.name
        secret = " and client_secret" if self.account.oauth2 and \
            self.account.oauth2.client_secret else ""
        _, message = failure_words(
            exc, self.label, again=again,
            check_client=f"Check client_id{secret} in [accounts.{name}.oauth2] of the config: "
                         f"it must be a desktop app registered with {self.label}.")
        return message

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """An unexpected failure ends the sign-in with its words, not with a dead screen."""
        if event.worker.group == "sign-in" and event.state is WorkerState.ERROR:
            self._failed(f"Something went wrong: {event.worker.error}")

    def _failed(self, message: str) -> None:
        self.wait.end()
        error = self.query_one("#sign-in-error", Static)
        error.update(sanitize_line(message))
        error.display = True
        self.query_one("#sign-in-again-buttons").display = True
        self.query_one("#sign-in-again", Button).focus()

    def _signed_in(self, where: str) -> None:
        self.wait.end()
        self.dismiss(where)

    # ---- keys -------------------------------------------------------------------------------

    def action_cancel(self) -> None:
        """Escape: end the sign-in that waits (the screen then says so), else close."""
        if self.wait.running:
            self.wait.cancel_sign_in()
        else:
            self.dismiss(None)

    @on(Button.Pressed, "#sign-in-close")
    def close(self) -> None:
        self.dismiss(None)
