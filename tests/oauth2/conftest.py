"""Accounts that sign in with OAuth2 on the suite's servers, each test with its own keyring."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import keyring
import pytest

from tests.support.accounts import server_account
from tests.support.filekeyring import FileKeyring
from tui_mail.model import Account, OAuth2Config, OAuth2Flow
from tui_mail.oauth2 import tokens


@pytest.fixture
def test_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A keyring of this test's own (a JSON file), and no access token from another test."""
    path = tmp_path / "keyring.json"
    monkeypatch.setenv("TUI_MAIL_TEST_KEYRING", str(path))
    previous = keyring.get_keyring()
    keyring.set_keyring(FileKeyring())
    tokens.forget_access_tokens()
    try:
        yield path
    finally:
        keyring.set_keyring(previous)
        tokens.forget_access_tokens()


def oauth2_config(oauth: Any, *, scopes: tuple[str, ...] = ("mail",),
                  flow: OAuth2Flow = OAuth2Flow.BROWSER) -> OAuth2Config:
    """The suite's authorization server as a custom provider, as a user writes it."""
    return OAuth2Config(
        provider="custom", client_id=oauth.client_id, authorization_url=oauth.authorize_url,
        token_url=oauth.token_url, device_authorization_url=oauth.device_authorization_url,
        scopes=scopes, flow=flow, ca_file=oauth.ca_file, timeout=20.0,
    )


def oauth2_account(servers: Any, user: Any, name: str = "work", **config: Any) -> Account:
    """An IMAP + SMTP account of `user` that signs in with OAuth2 (no password anywhere)."""
    account = server_account(servers, name, user.login, user.address)
    return replace(account, oauth2=oauth2_config(servers.oauth, **config))
