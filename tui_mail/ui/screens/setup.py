"""The account setup form: name, address and password; "Find settings" looks the servers up,
"Check" logs in to them, "Save" stores the password in the keyring and writes the config.

Network work runs in thread workers; each step is appended to a plain-text log. Errors are
shown in the form next to what caused them, and nothing the user typed is ever cleared.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, TypeVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Collapsible, Input, Label, Log, Select, Static
from textual.worker import Worker, WorkerState

from tui_mail.errors import AuthError, ConfigError, SecretError, TuiMailError
from tui_mail.mail.sanitize import sanitize_line
from tui_mail.model import DEFAULT_PORTS, Protocol, Security, ServerConfig
from tui_mail.ui.widgets.key_bar import KeyBar

if TYPE_CHECKING:
    from tui_mail.config import Config
    from tui_mail.setup.discovery import Discovery, HostMap, Resolver
    from tui_mail.setup.writer import NewAccount

_T = TypeVar("_T")

_SECURITY = [("TLS", "tls"), ("STARTTLS", "starttls"), ("none (unencrypted)", "none")]
_INCOMING = [("IMAP", "imap"), ("POP3", "pop3")]


class FormError(Exception):
    """A field holds something unusable; `field` is the id of the input to blame."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class SetupScreen(Screen[None]):
    """Adds one account. `on_saved(config)` runs on the UI thread after a successful save."""

    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("escape", "cancel", "Back"),
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
            yield Label("Password")
            yield Input(id="password", password=True)
            yield Static("", id="password-error", classes="setup-error", markup=False)
            with Vertical(id="password-command-row"):
                yield Label("Password command (prints the password; used instead of the keyring)")
                yield Input(id="password-command", placeholder="pass show mail/work")
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
        self.query_one("#password-command-row").display = False
        self.query_one("#setup-log", Log).display = False

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
            raise FormError("password", "Enter the password of this mail account")
        return password

    # ---- showing results --------------------------------------------------------------------

    def _clear_errors(self) -> None:
        for widget in self.query(".setup-error").results(Static):
            widget.update("")
        self.query_one("#setup-result", Static).update("")

    def _show_error(self, field: str, message: str) -> None:
        target = "#password-error" if field in ("password", "password-command") else "#form-error"
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
            button.disabled = busy

    # ---- buttons ----------------------------------------------------------------------------

    @on(Input.Submitted)
    def submitted(self) -> None:
        """Enter in a field: find the servers while they are unknown, else check them."""
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

        kwargs = {"host_map": self._host_map} if self._host_map else {}
        result = discover(address, password, username=username, ca_file=ca_file,
                          resolver=self._resolver or dns_srv, on_step=self._step_from_thread,
                          **kwargs)
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

    @on(Button.Pressed, "#save")
    def save(self) -> None:
        form = self._read_form(lambda: (self._new_account(), self._password()))
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
        """An unexpected failure in find, check or save must not leave the buttons disabled."""
        if event.worker.group == "setup" and event.state is WorkerState.ERROR:
            self._busy(False)
            self._show_error("save", f"Something went wrong: {event.worker.error}")

    def _save_failed(self, field: str, message: str) -> None:
        self._busy(False)
        if field == "password-command":
            self.query_one("#password-command-row").display = True
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
        if self.first_run:
            self.app.exit()
        else:
            self.dismiss(None)

