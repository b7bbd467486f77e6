"""The account setup form: name, address and password; "Find settings" looks the servers up,
"Check" logs in to them, "Save" stores the password in the keyring and writes the config.

For an address at Google or Microsoft (by its domain, its incoming server, or its domain's MX
hosts) the form offers "Sign in with ...": the user's own client ID instead of a password, then
the provider's sign-in in a browser (the address shown, and a field for the address the
browser ends on when it runs on another machine) or with a code typed on another device.

Network work runs in thread workers; each step is appended to a plain-text log. Errors are
shown in the form next to what caused them, and nothing the user typed is ever cleared.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, TypeVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Collapsible, Input, Label, Log, Select, Static
from textual.worker import Worker, WorkerState

from tui_mail.errors import AuthError, ConfigError, SecretError, TuiMailError
from tui_mail.mail.sanitize import sanitize_line
from tui_mail.model import DEFAULT_PORTS, Protocol, Security, ServerConfig
from tui_mail.oauth2.providers import TENANT
from tui_mail.oauth2.words import failure_words
from tui_mail.setup.oauth import OAuthSetup, SignInOffer, default_servers, domain_of
from tui_mail.ui.screens.form import FormScreen, help_bindings
from tui_mail.ui.widgets.key_bar import KeyBar
from tui_mail.ui.widgets.sign_in_wait import SignInWait

if TYPE_CHECKING:
    from textual.timer import Timer

    from tui_mail.config import Config
    from tui_mail.oauth2.providers import OAuthProvider
    from tui_mail.setup.discovery import Discovery, HostMap, Resolver
    from tui_mail.setup.save import KeyringCheck
    from tui_mail.setup.writer import NewAccount

_T = TypeVar("_T")

_SECURITY = [("TLS", "tls"), ("STARTTLS", "starttls"), ("none (unencrypted)", "none")]
_INCOMING = [("IMAP", "imap"), ("POP3", "pop3")]
MX_LOOKUP_DELAY = 0.5  # seconds of no typing in the address before its domain's MX is looked up
_TENANT = re.compile(TENANT)
_CLIENT_ID_PLACEHOLDER = {"google": "1234567890-abc123.apps.googleusercontent.com",
                          "microsoft": "00000000-0000-0000-0000-000000000000"}
# Where a field's error is shown (else under the buttons, in #form-error).
_ERROR_PLACE = {"password": "#password-error", "password-command": "#password-error",
                "client-id": "#oauth-error", "client-secret": "#oauth-error",
                "tenant": "#oauth-error", "sign-in": "#oauth-error"}


class FormError(Exception):
    """A field holds something unusable; `field` is the id of the input to blame."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class SetupScreen(FormScreen[None]):
    """Adds one account. `on_saved(config)` runs on the UI thread after a successful save."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Back"),
        *help_bindings(),
    ]
    AUTO_FOCUS = "#name"
    DEFAULT_CSS = """
    SetupScreen #setup-form { padding: 0 2; }
    SetupScreen #setup-title { text-style: bold; padding: 1 0 0 0; }
    SetupScreen Label { margin-top: 1; color: $text-muted; }
    SetupScreen Input { border: none; height: 1; padding: 0 1; background: $boost; }
    SetupScreen Input:focus { border: none; background: $primary 30%; }
    SetupScreen Collapsible { margin-top: 1; }
    SetupScreen .setup-error { color: $text-error; }
    SetupScreen #setup-result { color: $text-success; }
    SetupScreen #setup-hint { color: $text-muted; }
    SetupScreen .setup-server { height: auto; }
    SetupScreen .setup-server Input { width: 1fr; }
    SetupScreen .setup-server #in-port, SetupScreen .setup-server #smtp-port { width: 10; }
    SetupScreen .setup-server Select { width: 22; margin-right: 1; }
    SetupScreen .setup-server Input { margin-right: 1; }
    SetupScreen #setup-buttons { height: auto; margin-top: 1; }
    SetupScreen #setup-buttons Button { margin-right: 1; }
    SetupScreen #setup-log { height: 10; border: round $border-blurred; }
    SetupScreen #oauth, SetupScreen #oauth Vertical { height: auto; }
    SetupScreen #oauth-offer { margin-top: 1; color: $text-accent; }
    SetupScreen .setup-note { color: $text-muted; }
    SetupScreen #oauth-buttons { height: auto; margin-top: 1; }
    SetupScreen #oauth-buttons Button { margin-right: 1; }
    """

    def __init__(
        self, config_path: Path, *, first_run: bool = False,
        on_saved: Callable[[Config], object] | None = None,
        on_demo: Callable[[], object] | None = None,
        resolver: Resolver | None = None, host_map: HostMap | None = None,
    ) -> None:
        super().__init__()
        self.config_path = config_path
        self.first_run = first_run
        self._on_saved = on_saved
        self._on_demo = on_demo
        self._resolver = resolver
        self._host_map = host_map
        self.saved_config: Config | None = None
        self._offer: SignInOffer | None = None
        self._mx_offers: dict[str, SignInOffer | None] = {}  # domain -> what its MX says
        self._mx_timer: Timer | None = None
        self._keyring: KeyringCheck | None = None  # None until the check is done

    @property
    def _wait(self) -> SignInWait:
        """The running sign-in's address or code, paste field and Cancel."""
        return self.query_one("#sign-in-wait", SignInWait)

    @property
    def oauth(self) -> OAuthSetup:
        """The seam of "Sign in with ...": the app's `oauth_setup`, else the real one."""
        return self.app.sign_in_setup()  # type: ignore[attr-defined]

    # ---- layout -----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="setup-form"):
            title = "Welcome to tui-mail: add your mail account" if self.first_run else "Add an account"
            yield Static(title, id="setup-title", markup=False)
            yield Static(
                f"Find settings looks the servers up from the address; Advanced lets you enter "
                f"them. Save writes {self.config_path} (the password goes to the keyring).",
                id="setup-hint", markup=False,
            )
            yield Label("Account name (a short label, e.g. work)")
            yield Input(id="name", placeholder="work")
            yield Label("E-mail address")
            yield Input(id="address", placeholder="you@example.com")
            yield Label("Your name (optional, shown to recipients)")
            yield Input(id="display-name")
            with Vertical(id="oauth"):
                yield Static("", id="oauth-offer", markup=False)
                yield Label("Client ID", id="client-id-label")
                yield Input(id="client-id")
                yield Static("", id="client-id-hint", classes="setup-note", markup=False)
                with Vertical(id="client-secret-row"):
                    yield Label("Client secret (a desktop client's secret is not secret)")
                    yield Input(id="client-secret")
                with Vertical(id="tenant-row"):
                    yield Label("Tenant (optional: your organisation's domain or tenant ID, if "
                                "its administrator requires it)")
                    yield Input(id="tenant", placeholder="common")
                with Collapsible(title="How to get a client ID", collapsed=True,
                                 id="registration"):
                    yield Static("", id="registration-help", markup=False)
                with Horizontal(id="oauth-buttons"):
                    yield Button("Sign in", id="sign-in", variant="primary")
                yield Static("", id="oauth-error", classes="setup-error", markup=False)
                yield SignInWait(id="sign-in-wait")
            yield Label("Password", id="password-label")
            yield Input(id="password", password=True)
            yield Static("", id="password-error", classes="setup-error", markup=False)
            # Always here (a field appearing later would move the focus order under fast
            # typing); without a usable keyring the note says why it is needed.
            with Vertical(id="password-command-row"):
                yield Label("Password command (optional: prints the password; used instead "
                            "of the keyring)")
                yield Input(id="password-command", placeholder="pass show mail/work")
                yield Static("", id="keyring-note", classes="setup-note", markup=False)
            with Collapsible(title="Advanced: servers", collapsed=True, id="advanced"):
                yield Label("Incoming server: protocol, host, port, security, user name")
                with Horizontal(classes="setup-server"):
                    yield Select(_INCOMING, value="imap", allow_blank=False, id="in-protocol",
                                 compact=True)
                    yield Input(id="in-host", placeholder="imap.example.com")
                    yield Input(id="in-port", placeholder="993", type="integer")
                    yield Select(_SECURITY, value="tls", allow_blank=False, id="in-security",
                                 compact=True)
                yield Input(id="in-username", placeholder="user name (default: the address)")
                yield Label("Outgoing server (SMTP): host, port, security, user name")
                with Horizontal(classes="setup-server"):
                    yield Input(id="smtp-host", placeholder="smtp.example.com")
                    yield Input(id="smtp-port", placeholder="465", type="integer")
                    yield Select(_SECURITY, value="tls", allow_blank=False,
                                 id="smtp-security", compact=True)
                yield Input(id="smtp-username", placeholder="user name (default: the address)")
                yield Label("CA file (only for a server with a private certificate authority)")
                yield Input(id="ca-file", placeholder="/path/to/ca.pem")
            with Horizontal(id="setup-buttons"):
                yield Button("Find settings", id="find", variant="primary")
                yield Button("Check", id="check")
                yield Button("Save", id="save", variant="success")
                if self.first_run:
                    yield Button("Try the demo instead", id="demo")
            yield Static("", id="form-error", classes="setup-error", markup=False)
            yield Static("", id="setup-result", markup=False)
            yield Log(id="setup-log", auto_scroll=True)
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#setup-log", Log).display = False
        self.query_one("#oauth").display = False
        self._check_keyring()

    @work(thread=True, exclusive=True, group="keyring", exit_on_error=False)
    def _check_keyring(self) -> None:
        """Which keyring backend keyring chose (slow the first time: it may ask D-Bus)."""
        from tui_mail.setup.save import check_keyring

        self.app.call_from_thread(self._keyring_checked, check_keyring())

    def _keyring_checked(self, check: KeyringCheck) -> None:
        self._keyring = check
        if check.usable:
            return
        self.query_one("#keyring-note", Static).update(
            f"{check.why_not[:1].upper()}{check.why_not[1:]}. Enter a command that prints "
            "the password: Save writes it to the config as password_command; the password "
            "above is only used to find and check the servers.")
        self.query_one("#setup-hint", Static).update(
            f"Find settings looks the servers up from the address; Advanced lets you enter "
            f"them. Save writes {self.config_path} (with a password command: no keyring here).")
        self._refresh_offer()

    # ---- reading the form -------------------------------------------------------------------

    def _value(self, field: str) -> str:
        return self.query_one(f"#{field}", Input).value.strip()

    def _address(self) -> str:
        address = self._value("address")
        if "@" not in address or address.startswith("@") or address.endswith("@") or " " in address:
            raise FormError("address", "Enter your e-mail address, like you@example.com")
        return address

    def _server(self, prefix: str, protocol: Protocol, address: str) -> ServerConfig | None:
        host = self._value(f"{prefix}-host")
        if not host:
            return None
        security = Security(str(self.query_one(f"#{prefix}-security", Select).value))
        port_text = self._value(f"{prefix}-port")
        port = DEFAULT_PORTS[(protocol, security)]
        if port_text:
            if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
                raise FormError(f"{prefix}-port", f"The port must be a number from 1 to 65535, not {port_text!r}")
            port = int(port_text)
        ca_text = self._value("ca-file")
        ca_file = Path(ca_text).expanduser() if ca_text else None
        if ca_file is not None and not ca_file.is_file():
            raise FormError("ca-file", f"No file at {ca_file}: enter the path of the CA's PEM file")
        username = self._value(f"{prefix}-username") or address
        return ServerConfig(protocol, host, port, security, username, ca_file=ca_file)

    def _servers(self, address: str) -> tuple[ServerConfig | None, ServerConfig | None]:
        in_protocol = Protocol(str(self.query_one("#in-protocol", Select).value))
        return (self._server("in", in_protocol, address),
                self._server("smtp", Protocol.SMTP, address))

    def _new_account(self) -> NewAccount:
        from tui_mail.setup.writer import NewAccount

        name = self._value("name")
        if not name:
            raise FormError("name", "Enter a short name for the account, e.g. work")
        address = self._address()
        incoming, smtp = self._servers(address)
        if incoming is None or smtp is None:
            raise FormError("find", "The servers are not known yet: press Find settings, or "
                                    "enter them under Advanced")
        return NewAccount(name, address, self._value("display-name"), incoming, smtp)

    def _password(self) -> str:
        password = self.query_one("#password", Input).value
        if not password and not self._value("password-command"):
            other = (f", or use Sign in with {self._offer.provider.label} above"
                     if self._offer is not None else "")
            raise FormError("password", f"Enter the password of this mail account{other}")
        return password

    def _oauth_account(self, provider: OAuthProvider) -> NewAccount:
        """The account to sign in: the form's name, address and servers (the provider's own
        when Advanced is empty), with the provider's OAuth2 settings and the user's client."""
        from tui_mail.setup.writer import NewAccount

        name = self._value("name")
        if not name:
            raise FormError("name", "Enter a short name for the account, e.g. work")
        address = self._address()
        client_id = self._value("client-id")
        if not client_id:
            raise FormError("client-id", f"Enter the client ID of the app you registered with "
                                         f"{provider.label}: tui-mail cannot come with one "
                                         "(see How to get a client ID)")
        tenant = self._value("tenant") if provider.key == "microsoft" else ""
        if tenant and not _TENANT.fullmatch(tenant):
            raise FormError("tenant", f"The tenant is a domain or an ID like "
                                      f"contoso.onmicrosoft.com, not {tenant!r}")
        incoming, smtp = self._servers(address)
        if incoming is None or smtp is None:
            own = default_servers(provider, self._value("in-username") or address,
                                  self._value("smtp-username") or address)
            if own is None:
                raise FormError("in-host" if incoming is None else "smtp-host",
                                "Enter the incoming and outgoing servers under Advanced")
            incoming, smtp = incoming or own[0], smtp or own[1]
        secret = self._value("client-secret") if provider.key == "google" else ""
        oauth2 = self.oauth.oauth2_config(provider, client_id, secret, tenant)
        return NewAccount(name, address, self._value("display-name"), incoming, smtp,
                          oauth2=oauth2)

    # ---- showing results --------------------------------------------------------------------

    def _clear_errors(self) -> None:
        for widget in self.query(".setup-error").results(Static):
            widget.update("")
        self.query_one("#setup-result", Static).update("")

    def _show_error(self, field: str, message: str, place: str | None = None) -> None:
        target = place or _ERROR_PLACE.get(field, "#form-error")
        self.query_one(target, Static).update(sanitize_line(message))
        if field.startswith(("in-", "smtp-", "ca-")):
            self.query_one("#advanced", Collapsible).collapsed = False
        with_focus = self.query(f"#{field}")
        if with_focus and isinstance(with_focus.first(), Input):
            with_focus.first().focus()

    def _step(self, text: str) -> None:
        log = self.query_one("#setup-log", Log)
        log.display = True
        log.write_line(sanitize_line(text))

    def _step_from_thread(self, text: str) -> None:
        self.app.call_from_thread(self._step, text)

    def _fill_servers(self, incoming: ServerConfig | None, smtp: ServerConfig | None) -> None:
        if incoming is not None:
            self.query_one("#in-protocol", Select).value = incoming.protocol.value
            self.query_one("#in-host", Input).value = incoming.host
            self.query_one("#in-port", Input).value = str(incoming.port)
            self.query_one("#in-security", Select).value = incoming.security.value
        if smtp is not None:
            self.query_one("#smtp-host", Input).value = smtp.host
            self.query_one("#smtp-port", Input).value = str(smtp.port)
            self.query_one("#smtp-security", Select).value = smtp.security.value

    def _busy(self, busy: bool) -> None:
        for button in self.query(Button):
            if not button.has_class("while-busy"):
                button.disabled = busy

    # ---- buttons ----------------------------------------------------------------------------

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        """Enter in a field: find the servers while they are unknown, else check them; in the
        sign-in's fields, sign in (the pasted address is the sign-in panel's). Nothing while a
        sign-in waits: a check would take the place of its worker."""
        if self._wait.running:
            return
        if event.input.id in ("client-id", "client-secret", "tenant"):
            self.sign_in()
            return
        if self._value("in-host") and self._value("smtp-host"):
            self.check()
        else:
            self.find_settings()

    def _read_form(self, read: Callable[[], _T]) -> _T | None:
        """What `read` makes of the form, or None after showing the field's error beside it."""
        self._clear_errors()
        try:
            return read()
        except FormError as exc:
            self._show_error(exc.field, str(exc))
            return None

    @on(Button.Pressed, "#find")
    def find_settings(self) -> None:
        form = self._read_form(lambda: (self._address(), self._password()))
        if form is None:
            return
        address, password = form
        ca_text = self._value("ca-file")
        self._busy(True)
        self._discover(address, password, self._value("in-username") or None,
                       Path(ca_text).expanduser() if ca_text else None)

    @work(thread=True, exclusive=True, group="setup", exit_on_error=False)
    def _discover(self, address: str, password: str, username: str | None,
                  ca_file: Path | None) -> None:
        from tui_mail.setup.discovery import discover, dns_srv

        result = discover(address, password, username=username, ca_file=ca_file,
                          resolver=self._resolver or dns_srv, on_step=self._step_from_thread,
                          host_map=self._host_map)
        self.app.call_from_thread(self._discovered, result)

    def _discovered(self, result: Discovery) -> None:
        self._busy(False)
        self._fill_servers(result.incoming, result.smtp)
        if result.wrong_password:
            self._show_error("password", result.error)
        elif result.error:
            self._show_error("in-host" if result.incoming is None else "smtp-host", result.error)
        else:
            self.query_one("#setup-result", Static).update(
                "Found working servers (see Advanced). Press Save to keep them.")

    @on(Button.Pressed, "#check")
    def check(self) -> None:
        form = self._read_form(lambda: (self._new_account(), self._password()))
        if form is None:
            return
        account, password = form
        self._busy(True)
        self._check(account, password, self._value("password-command"))

    @work(thread=True, exclusive=True, group="setup", exit_on_error=False)
    def _check(self, account: NewAccount, password: str, command: str) -> None:
        from tui_mail.secrets import run_secret_command
        from tui_mail.setup.discovery import probe

        error: tuple[str, str] | None = None
        try:
            if command:
                password = run_secret_command(command, "password command")
            for role, server in (("incoming", account.incoming), ("smtp", account.smtp)):
                assert server is not None
                self._step_from_thread(f"Checking {role} {server.protocol.value}://"
                                       f"{server.host}:{server.port} ({server.security.value})…")
                caps = probe(server, password)
                self._step_from_thread(f"  OK ({len(caps)} capabilities)")
        except AuthError as exc:
            error = ("password", f"Login refused: {exc}. Check the password and user name")
        except SecretError as exc:
            error = ("password-command", str(exc))
        except TuiMailError as exc:
            field = "smtp-host" if "smtp://" in str(exc) else "in-host"
            error = (field, str(exc))
        self.app.call_from_thread(self._checked, error)

    def _checked(self, error: tuple[str, str] | None) -> None:
        self._busy(False)
        if error is not None:
            self._step(f"  failed: {error[1]}")
            self._show_error(*error)
            return
        self.query_one("#setup-result", Static).update("Both servers accept the login. Press Save.")

    def _kept_password(self) -> str:
        """The password Save keeps: without a usable keyring only a command can be kept."""
        password = self._password()
        if self._keyring is not None and not self._keyring.usable \
                and not self._value("password-command"):
            raise FormError("password-command",
                            f"{self._keyring.why_not[:1].upper()}{self._keyring.why_not[1:]}: "
                            "enter a password command, which Save writes to the config as "
                            "password_command")
        return password

    @on(Button.Pressed, "#save")
    def save(self) -> None:
        form = self._read_form(lambda: (self._new_account(), self._kept_password()))
        if form is None:
            return
        account, password = form
        self._busy(True)
        self._save(account, password, self._value("password-command") or None)

    @work(thread=True, exclusive=True, group="setup", exit_on_error=False)
    def _save(self, account: NewAccount, password: str, command: str | None) -> None:
        """Store the password and write the config in a worker: a keyring backend may wait on
        D-Bus or on an unlock prompt."""
        from tui_mail.setup.save import save_account

        try:
            config = save_account(self.config_path, account, password, password_command=command)
        except SecretError as exc:
            self.app.call_from_thread(self._save_failed, "password-command", str(exc))
            return
        except ConfigError as exc:
            field = "name" if "already exists" in str(exc) else "save"
            self.app.call_from_thread(self._save_failed, field, str(exc))
            return
        self.app.call_from_thread(self._saved, account.name, config)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """An unexpected failure in find, check, save or sign-in must not leave the buttons
        disabled."""
        if event.worker.group == "setup" and event.state is WorkerState.ERROR:
            signing_in = self._wait.running
            self._sign_in_ended()
            self._busy(False)
            self._show_error("sign-in" if signing_in else "save",
                             f"Something went wrong: {event.worker.error}")

    def _save_failed(self, field: str, message: str) -> None:
        self._busy(False)
        self._show_error(field, message)

    def _saved(self, name: str, config: Config) -> None:
        self._busy(False)
        self.saved_config = config
        where = f"Saved account {name!r} to {self.config_path}"
        self.query_one("#setup-result", Static).update(where)
        self.notify(where, title="tui-mail", markup=False, timeout=10)
        if self._on_saved is not None:
            self._on_saved(config)

    @on(Button.Pressed, "#demo")
    def demo(self) -> None:
        if self._on_demo is not None:
            self._on_demo()

    def action_cancel(self) -> None:
        if self._wait.running:
            self._wait.cancel_sign_in()
            return
        if self.first_run:
            self.app.exit()
        else:
            self.dismiss(None)


    # ---- "Sign in with ..." -----------------------------------------------------------------

    @on(Input.Changed, "#address")
    def _address_changed(self) -> None:
        self._refresh_offer()
        if self._mx_timer is not None:
            self._mx_timer.stop()
            self._mx_timer = None
        domain = domain_of(self._value("address"))
        if self._offer is None and domain and domain not in self._mx_offers:
            self._mx_timer = self.set_timer(MX_LOOKUP_DELAY, self._look_up_mx)

    @on(Input.Changed, "#in-host")
    def _host_changed(self) -> None:
        self._refresh_offer()

    def _look_up_mx(self) -> None:
        from tui_mail.setup.oauth import worth_an_mx_lookup

        self._mx_timer = None
        domain = domain_of(self._value("address"))
        if domain in self._mx_offers:
            self._refresh_offer()
        elif worth_an_mx_lookup(domain):
            self._mx_worker(domain, self.oauth)

    @work(thread=True, exclusive=True, group="oauth-mx", exit_on_error=False)
    def _mx_worker(self, domain: str, oauth: OAuthSetup) -> None:
        """The MX lookup (a DNS query with a timeout): any failure only means no offer."""
        offer = oauth.offer_by_mx(domain)
        self.app.call_from_thread(self._mx_found, domain, offer)

    def _mx_found(self, domain: str, offer: SignInOffer | None) -> None:
        self._mx_offers[domain] = offer
        self._refresh_offer()

    def _refresh_offer(self) -> None:
        """Show "Sign in with ..." when the address, the incoming server or the domain's MX
        points at a provider; hide it otherwise (what was typed in it stays)."""
        if self._wait.running:
            return  # a sign-in is running: its provider stays on the screen
        address = self._value("address")
        offer = (self.oauth.offer_by_name(address, self._value("in-host"))
                 or self._mx_offers.get(domain_of(address)))
        previous, self._offer = self._offer, offer
        self.query_one("#oauth").display = offer is not None
        label = self.query_one("#password-label", Label)
        no_keyring = self._keyring is not None and not self._keyring.usable
        if offer is None:
            label.update("Password (to find and check the servers; not saved: no keyring)"
                         if no_keyring else "Password")
            return
        provider = offer.provider
        self.query_one("#oauth-offer", Static).update(sanitize_line(
            f"{offer.reason}: you can sign in with "
            f"{provider.label} instead of a password."))
        label.update(f"Password (not needed to sign in with {provider.label})")
        if previous is not None and previous.provider == provider:
            return
        self.query_one("#client-id-label", Label).update(
            f"Client ID of your {provider.label} app")
        self.query_one("#client-id", Input).placeholder = _CLIENT_ID_PLACEHOLDER.get(
            provider.key, "")
        self.query_one("#client-id-hint", Static).update(
            f"tui-mail cannot come with one: register tui-mail as your own app with "
            f"{provider.label} once (free; see How to get a client ID).")
        self.query_one("#client-secret-row").display = provider.key == "google"
        self.query_one("#tenant-row").display = provider.key == "microsoft"
        self.query_one("#registration-help", Static).update(provider.registration_help)
        self.query_one("#sign-in", Button).label = f"Sign in with {provider.label}"

    @on(Button.Pressed, "#sign-in")
    def sign_in(self) -> None:
        """Sign in with the offered provider, then save the account (in a worker)."""
        if self._offer is None or self._wait.running:
            return
        provider = self._offer.provider
        self._clear_errors()
        try:
            account = self._oauth_account(provider)
        except FormError as exc:
            self._show_error(exc.field, str(exc), place="#oauth-error")
            return
        cancel = self._wait.begin(provider.label)
        self._busy(True)
        self._run_sign_in(account, self.oauth, self._wait, cancel, provider.label)

    @work(thread=True, exclusive=True, group="setup", exit_on_error=False)
    def _run_sign_in(self, account: NewAccount, oauth: OAuthSetup, wait: SignInWait,
                     cancel: threading.Event, label: str) -> None:
        """The sign-in (browser or device code) and, once it succeeded, the save."""
        from tui_mail.oauth2.http import OAuthError
        from tui_mail.setup.save import save_oauth_account

        prompt = wait.prompt()

        def sign_in(configured: object) -> None:
            oauth.sign_in(configured, prompt, cancel,
                          open_browser=oauth.open_browser or wait.open_browser,
                          receiver_ready=wait.receiver_ready)

        try:
            config = save_oauth_account(self.config_path, account, sign_in)
        except (OAuthError, SecretError, ConfigError) as exc:
            field, message = _sign_in_failure(exc, label, account)
            self.app.call_from_thread(self._sign_in_failed, field, message)
            return
        from tui_mail.oauth2.tokens import kept_where

        where = kept_where(config.account(account.name))
        self.app.call_from_thread(self._signed_in, account.name, label, where, config)

    def _sign_in_ended(self) -> None:
        self._wait.end()

    def _sign_in_failed(self, field: str, message: str) -> None:
        self._sign_in_ended()
        self._busy(False)
        self._refresh_offer()
        self.query_one("#sign-in", Button).focus()  # unless the error names a field
        self._show_error(field, message, place="#oauth-error")

    def _signed_in(self, name: str, label: str, where: str, config: Config) -> None:
        self._sign_in_ended()
        self.notify(f"Signed in with {label}; the sign-in is kept in {where}.",
                    title="tui-mail", markup=False, timeout=10)
        self._saved(name, config)


def _sign_in_failure(exc: TuiMailError, label: str, account: NewAccount) -> tuple[str, str]:
    """(field, message) for a sign-in that did not end in a saved account: what happened and
    what to do; nothing was saved, and the form keeps what was typed."""
    said = str(exc)
    said = said[:1].upper() + said[1:]
    if isinstance(exc, ConfigError):
        return ("name" if "already exists" in said else "sign-in"), said
    if isinstance(exc, SecretError):
        return "sign-in", f"{said.rstrip('.')}. Nothing was saved."
    what = "client ID and secret" if account.oauth2 and account.oauth2.client_secret \
        else "client ID"
    client, message = failure_words(
        exc, label, again=f"Nothing was saved; press Sign in with {label} to try again.",
        check_client=f"Check the {what}: it must be a desktop app registered with {label} "
                     "(see How to get a client ID).")
    return ("client-id" if client else "sign-in"), message
