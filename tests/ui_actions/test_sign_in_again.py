"""Signing an OAuth2 account in again without leaving the app, for real: a sign-in revoked at
the suite's authorization server puts the account offline with "sign in needed", the palette's
"Sign in to work (OAuth2)" opens the sign-in screen, the test plays the user's browser (or
approves the device code), and the account syncs again."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from tests.support import app as support
from tests.support.accounts import oauth2_account
from tests.support.cache import NOW, plain_message
from tests.support.pilot import screen_text, settle
from tests.support.pilot import subjects as list_subjects
from tui_mail.config import UISettings
from tui_mail.model import Account, OAuth2Flow
from tui_mail.oauth2 import tokens
from tui_mail.oauth2.flows import DeviceCode
from tui_mail.setup.oauth import OAuthSetup
from tui_mail.ui.app import TuiMailApp
from tui_mail.ui.screens.mailbox import MailboxScreen
from tui_mail.ui.screens.sign_in import SignInScreen
from tui_mail.ui.widgets.message_list import MessageList

pytestmark = [pytest.mark.servers, pytest.mark.usefixtures("test_keyring")]


class FirstSignIn:
    """The sign-in the user did before (as `tui-mail accounts login work` does it)."""

    def __init__(self, oauth: Any, user: Any) -> None:
        self.oauth, self.user = oauth, user

    def open(self, url: str) -> bool:
        threading.Thread(target=self.oauth.browse, args=(url, self.user), daemon=True).start()
        return True

    def open_url(self, url: str, opened: bool) -> None:
        pass

    def enter_code(self, code: DeviceCode) -> None:
        raise AssertionError("the first sign-in is in the browser")


class Browser:
    """The user's browser as the app opens it (the `open_browser` seam): it signs in only
    once the test has looked at the screen, so the screen cannot close before it is seen."""

    def __init__(self, oauth: Any, user: Any) -> None:
        self.oauth, self.user = oauth, user
        self.urls: list[str] = []
        self.go = threading.Event()
        self.errors: list[BaseException] = []

    def open(self, url: str) -> bool:
        self.urls.append(url)
        threading.Thread(target=self._visit, args=(url,), daemon=True).start()
        return True

    def _visit(self, url: str) -> None:
        try:
            assert self.go.wait(30)
            self.oauth.browse(url, self.user)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.errors.append(exc)


def revoked_account(servers: Any, oauth: Any, user: Any, **config: Any) -> Account:
    """An account that signed in once, whose sign-in the provider then revoked."""
    account = oauth2_account(servers, user, **config)
    first = FirstSignIn(oauth, user)
    tokens.sign_in(account, first, flow=OAuth2Flow.BROWSER, open_browser=first.open)
    oauth.revoke_user(user)
    return account


def make_app(account: Account, tmp_path: Path, browser: Browser | None = None) -> TuiMailApp:
    config = support.config_in(tmp_path, (account,), ui=UISettings(
        attachments_dir=tmp_path / "attachments", sync_every_minutes=0.0, idle=False))
    app = support.make_app(tmp_path / "cache.sqlite3", config, state_dir=tmp_path / "state")
    app.oauth_setup = OAuthSetup(open_browser=browser.open if browser else None)
    return app


async def until(pilot: Pilot, check: Any, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"{what}: not so after {timeout:.0f} s"
        await pilot.pause(0.1)


def subjects(app: TuiMailApp) -> list[str]:
    lists = list(app.screen.query(MessageList))
    if not lists:
        return []
    return list_subjects(lists[0])


def notices(app: TuiMailApp) -> list[str]:
    return [n.message for n in app.notified]


def text_of(screen: Any, widget_id: str) -> str:
    """What a Static shows ("" while the screen is still being put together)."""
    found = screen.query(f"#{widget_id}")
    return str(found.first(Static).render()) if found else ""


async def sign_in_needed(pilot: Pilot, app: TuiMailApp) -> None:
    """The account's first sync meets the revoked sign-in: said, with the way out."""
    await until(pilot, lambda: "○ work: offline, sign in needed" in screen_text(app),
                "the status line says a sign-in is needed")
    assert "$ to retry" not in screen_text(app)
    said = [n for n in notices(app) if "the sign-in has expired or was revoked" in n]
    assert said and "press ctrl+p and choose “Sign in to work (OAuth2)”" in said[0]


async def open_from_the_palette(pilot: Pilot, app: TuiMailApp) -> None:
    """ctrl+p, the account's entry by name, Enter: as the notice says."""
    await pilot.press("ctrl+p")
    await pilot.pause(0.3)
    await pilot.press(*"Sign in to work")
    await pilot.pause(0.5)
    await pilot.press("down", "enter")
    await until(pilot, lambda: isinstance(app.screen, SignInScreen), "the sign-in screen")


async def test_a_revoked_sign_in_is_renewed_from_the_palette_and_the_account_syncs_again(
        mail_servers: Any, oauth_server: Any, tmp_path: Path) -> None:
    user = mail_servers.new_user()
    account = revoked_account(mail_servers, oauth_server, user)
    mail_servers.deliver(user, plain_message(
        "Waiting behind the sign-in", "Alice <alice@example.com>", NOW - timedelta(hours=1),
        "Hello.", to=user.address))
    browser = Browser(oauth_server, user)
    app = make_app(account, tmp_path, browser)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in_needed(pilot, app)
        assert subjects(app) == []

        await open_from_the_palette(pilot, app)
        screen = app.screen
        await until(pilot, lambda: browser.urls, "the browser was opened")
        shown = text_of(screen, "sign-in-shown")
        assert shown == browser.urls[0] and shown.startswith(oauth_server.authorize_url)
        assert "Your browser was opened to sign in with" in text_of(screen, "sign-in-says")
        browser.go.set()

        await until(pilot, lambda: isinstance(app.screen, MailboxScreen), "the screen closed")
        await until(pilot, lambda: "Waiting behind the sign-in" in subjects(app),
                    "the account synced again")
        await until(pilot, lambda: "● work: online" in screen_text(app), "online again")
        assert any(n.startswith("Signed in to work; the sign-in is kept in the keyring")
                   for n in notices(app))
    assert browser.errors == []


async def test_the_device_code_signs_in_again_through_the_same_screen(
        mail_servers: Any, oauth_server: Any, tmp_path: Path) -> None:
    user = mail_servers.new_user()
    account = revoked_account(mail_servers, oauth_server, user, flow=OAuth2Flow.DEVICE)
    mail_servers.deliver(user, plain_message(
        "After the code", "Alice <alice@example.com>", NOW - timedelta(hours=1), "Hi.",
        to=user.address))
    app = make_app(account, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in_needed(pilot, app)
        await open_from_the_palette(pilot, app)
        screen = app.screen
        await until(pilot, lambda: text_of(screen, "sign-in-shown").strip(), "the code shown")
        assert "enter this code" in text_of(screen, "sign-in-says")
        assert not screen.query_one("#paste-row").display  # nothing to paste with a code
        oauth_server.approve_device(text_of(screen, "sign-in-shown").strip(), user)

        await until(pilot, lambda: isinstance(app.screen, MailboxScreen), "the screen closed")
        await until(pilot, lambda: "After the code" in subjects(app), "synced again")
        await until(pilot, lambda: "● work: online" in screen_text(app), "online again")


async def test_a_declined_or_cancelled_sign_in_says_why_and_changes_nothing(
        mail_servers: Any, oauth_server: Any, tmp_path: Path) -> None:
    user = mail_servers.new_user()
    account = revoked_account(mail_servers, oauth_server, user)

    def declining(url: str) -> bool:
        threading.Thread(target=oauth_server.browse, args=(url, user),
                         kwargs={"deny": True}, daemon=True).start()
        return True

    app = make_app(account, tmp_path)
    app.oauth_setup = OAuthSetup(open_browser=declining)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in_needed(pilot, app)
        await app.run_action("sign_in('work')")
        screen = app.screen
        assert isinstance(screen, SignInScreen)
        await until(pilot, lambda: text_of(screen, "sign-in-error"), "the refusal said")
        error = text_of(screen, "sign-in-error")
        assert "access_denied" in error and "Press Sign in with" in error
        assert not screen.query_one("#sign-in-wait").display

        app.oauth_setup = OAuthSetup(open_browser=lambda url: True)  # a browser that waits
        await pilot.click("#sign-in-again")
        await until(pilot, lambda: "Waiting for the sign-in" in text_of(screen, "sign-in-status"),
                    "waiting again")
        await pilot.press("escape")
        await until(pilot, lambda: "Sign-in cancelled" in text_of(screen, "sign-in-error"),
                    "the cancel said")
        assert app.screen is screen
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, MailboxScreen), "closed")
        assert "○ work: offline, sign in needed" in screen_text(app)
        assert not any(n.startswith("Signed in") for n in notices(app))

        await pilot.press("dollar_sign")  # a sync asked for meets the same refusal
        await settle(pilot)
        assert "○ work: offline, sign in needed" in screen_text(app)  # not stuck on "syncing"
    assert oauth_server.token_requests("authorization_code") == 1  # the first sign-in only
