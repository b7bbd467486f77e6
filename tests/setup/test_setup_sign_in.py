"""The setup screen's "Sign in with Google / Microsoft": when it is offered, what it asks for,
and what the screen says while a sign-in waits, when it is cancelled and when it fails.

The sign-in here is a stand-in (`OAuthSetup.sign_in`) that only plays the prompts and the
failures: the real sign-in through this screen is a journey against the suite's authorization
server. No test here sends a DNS query: the MX resolver is injected.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import dns.resolver
import keyring
import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Collapsible, Input, Static

from tests.support.filekeyring import FileKeyring
from tests.support.pilot import screen_of
from tui_mail.errors import SecretError
from tui_mail.oauth2.flows import DeviceCode, SignInCancelled
from tui_mail.oauth2.http import OAuthError
from tui_mail.setup.oauth import OAuthSetup
from tui_mail.ui.first_run import SetupFirstApp
from tui_mail.ui.screens.setup import MX_LOOKUP_DELAY, SetupScreen

NOW = datetime(2024, 5, 15, 12, 0, tzinfo=UTC)
HOSTILE = "[@click=app.quit]click[/] [bold]x"


@pytest.fixture(autouse=True)
def file_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TUI_MAIL_TEST_KEYRING", str(tmp_path / "keyring.json"))
    previous = keyring.get_keyring()
    keyring.set_keyring(FileKeyring())
    yield
    keyring.set_keyring(previous)


def no_dns(domain: str) -> list[str]:
    raise AssertionError(f"no MX lookup expected, got {domain}")


def make_app(tmp_path: Path, sign_in: Callable[..., Any] | None = None,
             mx_resolver: Callable[[str], list[str]] = no_dns) -> SetupFirstApp:
    app = SetupFirstApp(tmp_path / "config.toml", tmp_path / "cache.sqlite3",
                        sync_after_setup=False, clock=lambda: NOW, state_dir=tmp_path / "state")
    app.oauth_setup = OAuthSetup(mx_resolver=mx_resolver,
                                 sign_in=sign_in or _must_not_sign_in)
    return app


def _must_not_sign_in(*args: Any, **kwargs: Any) -> NoReturn:
    raise AssertionError("no sign-in expected")


async def type_into(pilot: Pilot, field: str, text: str) -> None:
    pilot.app.screen.query_one(f"#{field}", Input).focus()
    await pilot.press(*text)
    await pilot.pause()


def text_of(screen: SetupScreen, widget_id: str) -> str:
    return str(screen.query_one(f"#{widget_id}", Static).render())


def shown(screen: SetupScreen, selector: str) -> bool:
    widget = screen.query_one(selector)
    return all(node.display for node in (widget, *widget.ancestors_with_self)
               if hasattr(node, "display"))


def sign_in_button(screen: SetupScreen) -> Button | None:
    button = screen.query_one("#sign-in", Button)
    return button if shown(screen, "#sign-in") else None


def offered_sign_in(screen: SetupScreen) -> Button:
    """The sign-in button, which the test expects to be shown."""
    button = sign_in_button(screen)
    assert button is not None, "no sign-in offered"
    return button


async def fill_google(pilot: Pilot, address: str = "zoe@gmail.com") -> SetupScreen:
    """Name, address and client ID (set, not typed: typing is tested above)."""
    screen = pilot.app.screen
    assert isinstance(screen, SetupScreen)
    for field, value in [("name", "work"), ("address", address),
                         ("client-id", "123-abc.apps.googleusercontent.com")]:
        screen.query_one(f"#{field}", Input).value = value
    await pilot.pause()
    return screen


async def settle(pilot: Pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


# ---- the offer ------------------------------------------------------------------------------------

async def test_a_gmail_address_offers_sign_in_with_google(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 50)) as pilot:
        screen = screen_of(app, SetupScreen)
        assert sign_in_button(screen) is None
        await type_into(pilot, "address", "zoe@gmail.com")
        button = sign_in_button(screen)
        assert button is not None and str(button.label) == "Sign in with Google"
        assert "gmail.com is a Google address" in text_of(screen, "oauth-offer")
        assert "cannot come with one" in text_of(screen, "client-id-hint")
        assert shown(screen, "#client-secret-row") and not shown(screen, "#tenant-row")
        assert "Gmail API" in text_of(screen, "registration-help")
        screen.query_one("#registration", Collapsible).collapsed = False
        await pilot.pause()
        assert shown(screen, "#registration-help")
        assert "not needed" in str(screen.query_one("#password-label").render())
        # Another address: the offer goes, what was typed for it stays.
        screen.query_one("#client-id", Input).value = "kept"
        screen.query_one("#address", Input).value = "zoe@example.test"
        await pilot.pause(MX_LOOKUP_DELAY + 0.1)
        assert sign_in_button(screen) is None
        assert screen.query_one("#client-id", Input).value == "kept"


async def test_an_outlook_address_offers_microsoft_with_a_tenant_and_no_secret(
        tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 50)) as pilot:
        await type_into(pilot, "address", "zoe@outlook.com")
        screen = screen_of(app, SetupScreen)
        assert str(offered_sign_in(screen).label) == "Sign in with Microsoft"
        assert shown(screen, "#tenant-row") and not shown(screen, "#client-secret-row")


async def test_the_incoming_server_offers_the_provider(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 50)) as pilot:
        await type_into(pilot, "address", "zoe@example.test")
        screen = screen_of(app, SetupScreen)
        assert sign_in_button(screen) is None
        screen.query_one("#in-host", Input).value = "imap.gmail.com"
        await pilot.pause()
        assert str(offered_sign_in(screen).label) == "Sign in with Google"
        assert "imap.gmail.com is a Google server" in text_of(screen, "oauth-offer")


async def test_a_custom_domain_is_offered_by_its_mx_off_the_ui_thread(tmp_path: Path) -> None:
    asked: list[tuple[str, str]] = []

    def resolve(domain: str) -> list[str]:
        asked.append((domain, threading.current_thread().name))
        return {"corp.de": ["corp-de.mail.protection.outlook.com"]}.get(domain, [])

    app = make_app(tmp_path, mx_resolver=resolve)
    async with app.run_test(size=(100, 50)) as pilot:
        await type_into(pilot, "address", "zoe@corp.de")
        screen = screen_of(app, SetupScreen)
        assert sign_in_button(screen) is None  # not at once: the lookup waits for typing to stop
        await pilot.pause(MX_LOOKUP_DELAY + 0.2)
        await settle(pilot)
        assert [domain for domain, _ in asked] == ["corp.de"]  # not each half-typed domain
        assert asked[0][1] != threading.main_thread().name
        assert str(offered_sign_in(screen).label) == "Sign in with Microsoft"
        assert "Mail for corp.de goes to Microsoft" in text_of(screen, "oauth-offer")


@pytest.mark.parametrize("failure", [dns.resolver.NXDOMAIN(),
                                     dns.resolver.LifetimeTimeout(timeout=3.0, errors={})])
async def test_a_failed_mx_lookup_shows_nothing(tmp_path: Path, failure: Exception) -> None:
    def resolve(domain: str) -> list[str]:
        raise failure

    app = make_app(tmp_path, mx_resolver=resolve)
    async with app.run_test(size=(100, 50)) as pilot:
        await type_into(pilot, "address", "zoe@corp.de")
        await pilot.pause(MX_LOOKUP_DELAY + 0.2)
        await settle(pilot)
        screen = screen_of(app, SetupScreen)
        assert sign_in_button(screen) is None
        assert all(text_of(screen, w.id or "") == "" for w in screen.query(".setup-error"))


# ---- what the sign-in asks for ------------------------------------------------------------------

async def test_signing_in_needs_a_client_id_but_no_password(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 50)) as pilot:
        await type_into(pilot, "name", "work")
        await type_into(pilot, "address", "zoe@gmail.com")
        screen = screen_of(app, SetupScreen)
        offered_sign_in(screen).press()
        await pilot.pause()
        error = text_of(screen, "oauth-error")
        assert "client ID" in error and "cannot come with one" in error
        assert text_of(screen, "password-error") == ""
        assert screen.focused is screen.query_one("#client-id")
        # The password path says the other way exists.
        screen.query_one("#find", Button).press()
        await pilot.pause()
        assert "or use Sign in with Google above" in text_of(screen, "password-error")
    assert not (tmp_path / "config.toml").exists()


async def test_a_wrong_tenant_is_refused_in_the_form(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 50)) as pilot:
        await type_into(pilot, "name", "work")
        await type_into(pilot, "address", "zoe@outlook.com")
        await type_into(pilot, "client-id", "0000")
        await type_into(pilot, "tenant", "contoso/evil")
        await pilot.press("enter")
        await pilot.pause()
        assert "not 'contoso/evil'" in text_of(screen_of(app, SetupScreen), "oauth-error")


# ---- while it waits, and when it ends without an account ------------------------------------------

class FakeReceiver:
    def __init__(self) -> None:
        self.delivered: list[str] = []

    def deliver(self, url: str) -> bool:
        if "state=right" not in url:
            return False
        self.delivered.append(url)
        return True


def waiting_sign_in(*, device: bool = False, receiver: FakeReceiver | None = None,
                    calls: list[dict[str, Any]] | None = None) -> Callable[..., Any]:
    """Shows the URL (or a code) as the real sign-in does, then waits to be cancelled."""
    def sign_in(account, prompt, cancel: threading.Event, **options: Any) -> None:
        if calls is not None:
            calls.append({"account": account, **options})
        if device:
            prompt.enter_code(DeviceCode(f"AB{HOSTILE}", f"https://example.test/d?{HOSTILE}",
                                         None, 900))
        else:
            options["receiver_ready"](receiver or FakeReceiver())
            prompt.open_url(f"https://accounts.example.test/auth?state=right&x={HOSTILE}", False)
        while not cancel.wait(0.05):
            if receiver is not None and receiver.delivered:
                raise OAuthError(f"the sign-in was refused: access_denied: {HOSTILE}",
                                 "access_denied")
        raise SignInCancelled("sign-in cancelled", "cancelled")

    return sign_in


async def test_the_address_is_shown_as_it_is_and_escape_cancels(tmp_path: Path) -> None:
    calls: list[dict[str, Any]] = []
    app = make_app(tmp_path, waiting_sign_in(calls=calls))
    async with app.run_test(size=(100, 50)) as pilot:
        screen = await fill_google(pilot)
        await type_into(pilot, "client-secret", "desktop-secret")
        offered_sign_in(screen).press()
        await pilot.pause(0.3)
        assert "Open this address in a browser to sign in with Google" in text_of(
            screen, "sign-in-says")
        assert text_of(screen, "sign-in-shown") == (
            f"https://accounts.example.test/auth?state=right&x={HOSTILE}")
        assert shown(screen, "#paste-row") and screen.focused is screen.query_one("#redirect")
        assert screen.query_one("#sign-in", Button).disabled
        assert not screen.query_one("#cancel-sign-in", Button).disabled
        assert "Escape cancels" in text_of(screen, "sign-in-status")
        account = calls[0]["account"]
        assert account.name == "work" and account.incoming.host == "imap.gmail.com"
        assert account.oauth2.client_id == "123-abc.apps.googleusercontent.com"
        assert account.oauth2.client_secret == "desktop-secret"
        assert callable(calls[0]["open_browser"])

        await pilot.press("escape")
        await settle(pilot)
        assert app.is_running and app.screen is screen  # Escape ended the sign-in, not the app
        assert "Sign-in cancelled" in text_of(screen, "oauth-error")
        assert "Nothing was saved" in text_of(screen, "oauth-error")
        assert not shown(screen, "#sign-in-wait")
        assert not screen.query_one("#sign-in", Button).disabled
        assert screen.query_one("#client-id", Input).value == "123-abc.apps.googleusercontent.com"
        assert screen.query_one("#client-secret", Input).value == "desktop-secret"
        assert screen.query_one("#name", Input).value == "work"
    assert not (tmp_path / "config.toml").exists()


async def test_a_pasted_redirect_goes_to_the_listener(tmp_path: Path) -> None:
    receiver = FakeReceiver()
    app = make_app(tmp_path, waiting_sign_in(receiver=receiver))
    async with app.run_test(size=(100, 50)) as pilot:
        screen = await fill_google(pilot)
        offered_sign_in(screen).press()
        await pilot.pause(0.3)
        await type_into(pilot, "redirect", "http://127.0.0.1:1/?state=wrong&code=1")
        await pilot.press("enter")
        await pilot.pause()
        assert "not the address this sign-in is waiting for" in text_of(screen, "redirect-error")
        assert receiver.delivered == []
        screen.query_one("#redirect", Input).value = "http://127.0.0.1:1/?state=right&code=2"
        await settle(pilot)
        assert receiver.delivered == ["http://127.0.0.1:1/?state=right&code=2"]
        # The stand-in refuses once it has the answer: the provider's words, shown as words.
        error = text_of(screen, "oauth-error")
        assert f"access_denied: {HOSTILE}" in error and "administrator" in error
        assert app.is_running


async def test_the_device_code_is_shown_with_where_to_enter_it(tmp_path: Path) -> None:
    app = make_app(tmp_path, waiting_sign_in(device=True))
    async with app.run_test(size=(100, 50)) as pilot:
        screen = await fill_google(pilot, "zoe@outlook.com")
        offered_sign_in(screen).press()
        await pilot.pause(0.3)
        assert text_of(screen, "sign-in-says") == (
            f"On any device, open https://example.test/d?{HOSTILE} and enter this code:")
        assert text_of(screen, "sign-in-shown") == f"AB{HOSTILE}"
        assert "15 min" in text_of(screen, "sign-in-more")
        assert not shown(screen, "#paste-row")
        assert str(screen.query_one("#copy-shown", Button).label) == "Copy code"
        screen.query_one("#cancel-sign-in", Button).press()
        await settle(pilot)
        assert "Sign-in cancelled" in text_of(screen, "oauth-error")


def failing(exc: Exception) -> Callable[..., Any]:
    def sign_in(account, prompt, cancel, **options: Any) -> None:
        raise exc

    return sign_in


@pytest.mark.parametrize(("exc", "says", "focus"), [
    (OAuthError("oauth2.googleapis.com refused: invalid_client: The OAuth client was not "
                "found.", "invalid_client", 401),
     ["Google does not accept this client", "client ID and secret", "desktop app"],
     "client-id"),
    (OAuthError("oauth2.googleapis.com: cannot connect: [Errno -3] Temporary failure in name "
                "resolution", "unreachable"),
     ["Google cannot be reached", "network connection", "Nothing was saved"], "sign-in"),
    (SignInCancelled("no answer from the browser within 600 s", "timeout"),
     ["No answer from the browser within 600 s", "press Sign in with Google to try again"],
     "sign-in"),
    (OAuthError(f"oauth2.googleapis.com refused: invalid_scope: {HOSTILE}", "invalid_scope"),
     [f"The sign-in failed: Oauth2.googleapis.com refused: invalid_scope: {HOSTILE}"],
     "sign-in"),
    (SecretError("account 'work' OAuth2 refresh token: cannot be stored in the keyring: "
                 "locked"),
     ["cannot be stored in the keyring: locked. Nothing was saved."], "sign-in"),
])
async def test_a_failed_sign_in_says_what_to_do_and_keeps_the_form(
        tmp_path: Path, exc: Exception, says: list[str], focus: str) -> None:
    app = make_app(tmp_path, failing(exc))
    async with app.run_test(size=(100, 50)) as pilot:
        screen = await fill_google(pilot)
        await type_into(pilot, "client-secret", "s")
        offered_sign_in(screen).press()
        await settle(pilot)
        error = text_of(screen, "oauth-error")
        for words in says:
            assert words in error
        assert "Traceback" not in error
        assert screen.focused is screen.query_one(f"#{focus}")
        assert screen.query_one("#client-id", Input).value == "123-abc.apps.googleusercontent.com"
        assert not screen.query_one("#sign-in", Button).disabled
    assert not (tmp_path / "config.toml").exists()


async def test_a_taken_name_is_refused_before_signing_in(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(
        '[accounts.work]\naddress = "a@b.test"\n[accounts.work.incoming]\n'
        'protocol = "imap"\nhost = "imap.b.test"\nsecurity = "tls"\n')
    before = (tmp_path / "config.toml").read_text()
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 50)) as pilot:
        screen = await fill_google(pilot)
        offered_sign_in(screen).press()
        await settle(pilot)
        assert "'work' already exists" in text_of(screen, "oauth-error")
        assert screen.focused is screen.query_one("#name")
    assert (tmp_path / "config.toml").read_text() == before


async def test_quitting_while_waiting_ends_the_sign_in(tmp_path: Path) -> None:
    ended = threading.Event()

    def sign_in(account, prompt, cancel: threading.Event, **options: Any) -> None:
        options["receiver_ready"](FakeReceiver())
        prompt.open_url("https://accounts.example.test/auth", False)
        assert cancel.wait(10)
        ended.set()
        raise SignInCancelled("sign-in cancelled", "cancelled")

    app = make_app(tmp_path, sign_in)
    async with app.run_test(size=(100, 50)) as pilot:
        screen = await fill_google(pilot)
        offered_sign_in(screen).press()
        await pilot.pause(0.3)
        app.exit()
    assert ended.wait(5)
