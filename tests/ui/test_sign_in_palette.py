"""The palette offers "Sign in to NAME (OAuth2)" for each account that signs in with OAuth2,
under the very title the sign-in-needed error tells the user to choose."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from tests.support import app as support
from tui_mail.model import Account, Address, OAuth2Config, Protocol, Security, ServerConfig
from tui_mail.oauth2 import tokens
from tui_mail.setup.oauth import OAuthSetup
from tui_mail.ui.app import TuiMailApp
from tui_mail.ui.keys import ActionCommands
from tui_mail.ui.screens.sign_in import SignInScreen


def account(name: str, oauth2: bool) -> Account:
    server = ServerConfig(Protocol.IMAP, "127.0.0.1", 1, Security.TLS, f"{name}@example.test")
    plain = Account(name=name, address=Address(name, f"{name}@example.test"), incoming=server,
                    smtp=None)
    if not oauth2:
        return plain
    return replace(plain, oauth2=OAuth2Config(
        provider="microsoft", client_id="c", scopes=("mail",),
        authorization_url="https://login.example.test/authorize",
        token_url="https://login.example.test/token"))


def make_app(tmp_path: Path) -> TuiMailApp:
    config = support.config_in(tmp_path, (account("home", False), account("work", True)))
    app = support.make_app(tmp_path / "cache.sqlite3", config, sync_on_start=False,
                           state_dir=tmp_path / "state")
    app.oauth_setup = OAuthSetup(open_browser=lambda url: False)  # no browser of this machine
    return app


async def test_only_oauth2_accounts_are_offered_under_the_title_the_error_names(
        tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        provider = ActionCommands(app.screen)
        titles = [str(hit.text) async for hit in provider.discover()]
        offered = [t for t in titles if t.startswith("Sign in to")]
        assert offered == ["Sign in to work (OAuth2)"]
        said = str(tokens.SignInRequired(tokens.how_to_sign_in(account("work", True))))
        assert f"choose “{offered[0]}”" in said and "ctrl+p" in said

        hits = [hit async for hit in provider.search("sign in to work")]
        hits[0].command()
        await pilot.pause(0.2)
        assert isinstance(app.screen, SignInScreen) and app.screen.account.name == "work"


async def test_an_account_without_oauth2_is_not_signed_in(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.run_action("sign_in('home')")
        await pilot.pause()
        assert not isinstance(app.screen, SignInScreen)
        assert any("'home' does not sign in with OAuth2" in n.message
                   for n in app.notified)
