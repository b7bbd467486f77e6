"""A sign-in in progress, as both the setup screen and the sign-in screen show it.

The provider's address to open (with Copy, and a field for the address the browser ends on
when it runs on another machine, over SSH) or the device code and where to type it; "Cancel
sign-in" (or the screen's Escape) sets the sign-in's cancel event. The sign-in itself runs in
the screen's thread worker: `prompt()`, `receiver_ready` and `open_browser` are what it calls
there. Everything the provider sent (address, code, error words) is shown as plain text.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Static

from tui_mail.mail.sanitize import sanitize_line

if TYPE_CHECKING:
    from tui_mail.oauth2.flows import DeviceCode, LoopbackReceiver, SignInPrompt


class SignInWait(Vertical):
    """What a running sign-in shows; hidden while none runs. Its buttons have the class
    `while-busy` (a screen that disables its buttons during work leaves these usable)."""

    DEFAULT_CSS = """
    SignInWait {
        height: auto; margin-top: 1; padding: 0 1; border: round $primary;
        & #sign-in-shown { color: $text; text-style: bold; }
        & .sign-in-note { color: $text-muted; }
        & .sign-in-error { color: $text-error; }
        & #paste-row { height: auto; }
        & #paste-says { margin-top: 1; color: $text-muted; }
        & Input { border: none; height: 1; padding: 0 1; background: $boost; }
        & Input:focus { border: none; background: $primary 30%; }
        & #sign-in-buttons { height: auto; margin-top: 1; }
        & #sign-in-buttons Button { margin-right: 1; }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self.cancel: threading.Event | None = None  # set while a sign-in runs
        self._receiver: LoopbackReceiver | None = None
        self._label = ""
        self._copy_text = ""

    def compose(self) -> ComposeResult:
        yield Static("", id="sign-in-says", markup=False)
        yield Static("", id="sign-in-shown", markup=False)
        yield Static("", id="sign-in-more", classes="sign-in-note", markup=False)
        with Vertical(id="paste-row"):
            yield Static("On another machine (over SSH)? Sign in there, then paste here the "
                         "address the browser ends on (that page may fail to load):",
                         id="paste-says", markup=False)
            yield Input(id="redirect", placeholder="http://127.0.0.1:…/?state=…&code=…")
            yield Static("", id="redirect-error", classes="sign-in-error", markup=False)
        yield Static("", id="sign-in-status", classes="sign-in-note", markup=False)
        with Horizontal(id="sign-in-buttons"):
            yield Button("Copy", id="copy-shown", classes="while-busy")
            yield Button("Cancel sign-in", id="cancel-sign-in", classes="while-busy",
                         variant="error")

    def on_mount(self) -> None:
        self.display = False

    def on_unmount(self) -> None:
        """A sign-in still waiting (the screen closes, the app quits) ends now, not when its
        time runs out."""
        if self.cancel is not None:
            self.cancel.set()

    @property
    def running(self) -> bool:
        return self.cancel is not None

    # ---- on the UI thread -------------------------------------------------------------------

    def begin(self, label: str) -> threading.Event:
        """Show that a sign-in with `label` (Google, Microsoft, a host name) starts; returns
        the event that cancels it."""
        self.cancel = threading.Event()
        self._receiver = None
        self._label = label
        self.query_one("#redirect", Input).value = ""
        self.query_one("#redirect-error", Static).update("")
        self._show(f"Starting the sign-in with {label}…", "", "")
        return self.cancel

    def end(self) -> None:
        """The sign-in is over (whichever way): nothing of it is shown any more."""
        self.cancel = None
        self._receiver = None
        self.display = False

    def cancel_sign_in(self) -> None:
        if self.cancel is not None:
            self.cancel.set()
            self.query_one("#sign-in-status", Static).update("Cancelling…")

    def show_url(self, url: str, opened: bool) -> None:
        """The browser flow's address: opened in the browser, shown to copy in any case."""
        label = self._label or "your provider"
        says = (f"Your browser was opened to sign in with {label}. If it shows nothing, open "
                "this address:" if opened else
                f"Open this address in a browser to sign in with {label}:")
        self._show(says, url, "", paste=True)
        self.query_one("#copy-shown", Button).label = "Copy address"

    def show_code(self, code: DeviceCode) -> None:
        """The device flow's code and where to type it."""
        minutes = max(1, int(code.expires_in // 60))
        more = (f"(or open {code.verification_uri_complete}) " if
                code.verification_uri_complete else "")
        self._show(f"On any device, open {code.verification_uri} and enter this code:",
                   code.user_code, f"{more}The code works for {minutes} min.")
        self.query_one("#copy-shown", Button).label = "Copy code"

    def _show(self, says: str, shown: str, more: str, *, paste: bool = False) -> None:
        self.display = True
        self.query_one("#sign-in-says", Static).update(sanitize_line(says))
        self.query_one("#sign-in-shown", Static).update(sanitize_line(shown))
        self.query_one("#sign-in-more", Static).update(sanitize_line(more))
        self.query_one("#sign-in-more").display = bool(more)
        self.query_one("#paste-row").display = paste
        self.query_one("#copy-shown").display = bool(shown)
        self.query_one("#sign-in-status", Static).update(
            "Waiting for the sign-in… (Escape cancels)" if shown else "")
        self._copy_text = sanitize_line(shown)
        if paste:
            self.query_one("#redirect", Input).focus()
        else:
            self.query_one("#cancel-sign-in", Button).focus()

    @on(Input.Changed, "#redirect")
    def _redirect_changed(self, event: Input.Changed) -> None:
        """A pasted address is handed over at once when it is the answer (else on Enter)."""
        event.stop()
        if event.value.strip():
            self._deliver_redirect(complain=False)

    @on(Input.Submitted, "#redirect")
    def _redirect_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._deliver_redirect(complain=True)

    def _deliver_redirect(self, *, complain: bool) -> None:
        pasted = self.query_one("#redirect", Input).value.strip()
        if self._receiver is None or not pasted:
            return
        if self._receiver.deliver(pasted):
            self.query_one("#redirect-error", Static).update("")
            self.query_one("#sign-in-status", Static).update("Finishing the sign-in…")
        elif complain:
            self.query_one("#redirect-error", Static).update(
                "That is not the address this sign-in is waiting for: paste the whole address "
                "from the browser's address bar (it starts with http://localhost or "
                "http://127.0.0.1).")

    @on(Button.Pressed, "#copy-shown")
    def _copy_shown(self, event: Button.Pressed) -> None:
        event.stop()
        if self._copy_text:
            self.app.copy_to_clipboard(self._copy_text)
            self.notify("Copied to the clipboard (if the terminal lets programs set it).",
                        title="tui-mail", markup=False)

    @on(Button.Pressed, "#cancel-sign-in")
    def _cancel_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.cancel_sign_in()

    # ---- in the sign-in's worker thread -----------------------------------------------------

    def prompt(self) -> SignInPrompt:
        """What the sign-in tells the user, shown here (tui_mail.oauth2.flows.SignInPrompt)."""
        return _WaitPrompt(self)

    def receiver_ready(self, receiver: LoopbackReceiver) -> None:
        """The listener a pasted redirect address is handed to."""
        self._receiver = receiver

    def open_browser(self, url: str) -> bool:
        """The user's browser when one is set ($BROWSER) or would show on a display, as links
        are opened (a browser in this terminal gets it meanwhile); else nothing, and the
        address is only shown."""
        import os

        from tui_mail.oauth2 import flows
        from tui_mail.ui.screens.picker import open_in_browser

        if flows.has_display():
            # Here, in the sign-in's worker thread: a $BROWSER command webbrowser waits for
            # must not hold the event loop.
            return flows.open_in_browser(url)
        if not os.environ.get("BROWSER"):
            return False
        # A browser in this very terminal: the app hands the terminal over meanwhile.
        return bool(self.app.call_from_thread(open_in_browser, self.app, url))


class _WaitPrompt:
    """A sign-in's prompts, called in its worker thread, shown by a SignInWait."""

    def __init__(self, wait: SignInWait) -> None:
        self.wait = wait

    def open_url(self, url: str, opened: bool) -> None:
        self.wait.app.call_from_thread(self.wait.show_url, url, opened)

    def enter_code(self, code: DeviceCode) -> None:
        self.wait.app.call_from_thread(self.wait.show_code, code)
