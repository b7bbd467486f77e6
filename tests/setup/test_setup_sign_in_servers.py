"""From the setup screen to a synced inbox with "Sign in with ...", for real: the suite's
authorization server stands in for the provider (through the screen's one seam,
`app.oauth_setup`), Dovecot checks the token, and the first sync fills the list."""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Static

from tests.support.accounts import suite_provider
from tests.support.setup_form import fill_oauth_setup_form
from tui_mail.config import load_config
from tui_mail.model import OAuth2Flow
from tui_mail.oauth2 import tokens
from tui_mail.setup.oauth import OAuthSetup
from tui_mail.ui.first_run import SetupFirstApp
from tui_mail.ui.screens.mailbox import MailboxScreen
from tui_mail.ui.widgets.message_list import MessageList

pytestmark = [pytest.mark.servers, pytest.mark.usefixtures("test_keyring")]


def make_app(tmp_path: Path, oauth: Any, user: Any, flow: OAuth2Flow) -> SetupFirstApp:
    app = SetupFirstApp(tmp_path / "config.toml", tmp_path / "cache.sqlite3",
                        sync_after_setup=True, state_dir=tmp_path / "state")

    def browser(url: str) -> bool:  # the user's browser, signing in as they would
        threading.Thread(target=oauth.browse, args=(url, user), daemon=True).start()
        return True

    app.oauth_setup = OAuthSetup(providers=(suite_provider(oauth),), ca_file=oauth.ca_file,
                                 flow=flow, open_browser=browser, mx_resolver=lambda d: [])
    return app


async def until(pilot: Pilot, check: Any, what: str, timeout: float = 30.0) -> None:
    for _ in range(int(timeout / 0.1)):
        if check():
            return
        await pilot.pause(0.1)
    raise AssertionError(f"{what}: not so after {timeout:.0f} s")


@pytest.mark.parametrize("flow", [OAuth2Flow.BROWSER, OAuth2Flow.DEVICE])
async def test_sign_in_from_the_setup_screen_writes_the_account_and_syncs_the_inbox(
        mail_servers: Any, oauth_server: Any, tmp_path: Path, flow: OAuth2Flow) -> None:
    user = mail_servers.new_user()
    mail_servers.dovecot.deliver(user, b"From: a@example.com\r\nTo: " + user.address.encode()
                                 + b"\r\nSubject: First day\r\n\r\nWelcome.\r\n")
    app = make_app(tmp_path, oauth_server, user, flow)
    async with app.run_test(size=(110, 50)) as pilot:
        await fill_oauth_setup_form(pilot, mail_servers, user)
        button = app.screen.query_one("#sign-in", Button)
        assert str(button.label) == "Sign in with Test ID"
        button.press()
        if flow is OAuth2Flow.DEVICE:
            shown = app.screen.query_one("#sign-in-shown", Static)
            await until(pilot, lambda: str(shown.render()).strip(), "the code shown")
            oauth_server.approve_device(str(shown.render()).strip(), user)
        await until(pilot, lambda: isinstance(app.screen, MailboxScreen), "the mailbox opened")
        await until(pilot, lambda: "First day" in subjects(app), "the first sync listed it")

    config = load_config(tmp_path / "config.toml")
    account = config.accounts[0]
    assert account.oauth2 is not None and account.oauth2.client_id == oauth_server.client_id
    assert account.incoming.password is None and account.incoming.password_command is None
    assert not re.search(r"^\s*password", (tmp_path / "config.toml").read_text(), re.M)
    assert tokens.kept_where(account).startswith("the keyring")


def subjects(app: Any) -> list[str]:
    lists = list(app.screen.query(MessageList))
    if not lists:
        return []
    return [lists[0].summary_at(i).subject for i in range(lists[0].row_count)]
