"""Adding an account to the config file: keeps what is there, valid TOML, private, no password."""

from __future__ import annotations

import stat
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn

import keyring
import pytest

from tests.support.filekeyring import FileKeyring
from tui_mail.config import load_config, parse_config
from tui_mail.errors import ConfigError, SecretError
from tui_mail.model import Account, Protocol, Security, ServerConfig
from tui_mail.setup.save import save_account, save_oauth_account
from tui_mail.setup.writer import NewAccount, add_account, toml_string

EXISTING = """# my precious comment
theme = "tui-mail-light"

[accounts.home]
address = "me@home.test"   # inline comment
[accounts.home.incoming]
protocol = "pop3"
host = "pop.home.test"
security = "tls"
"""


def new_account(name: str = "work", **kw: Any) -> NewAccount:
    base: dict[str, Any] = {
        "name": name, "address": "zoe@work.test", "display_name": 'Zoë "Z" \\ Ünder',
        "incoming": ServerConfig(Protocol.IMAP, "imap.work.test", 993, Security.TLS,
                                 "zoe@work.test", password="must-not-be-written"),
        "smtp": ServerConfig(Protocol.SMTP, "smtp.work.test", 587, Security.STARTTLS, "zoe-login"),
    }
    base.update(kw)
    return NewAccount(**base)


@pytest.fixture
def file_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TUI_MAIL_TEST_KEYRING", str(tmp_path / "keyring.json"))
    previous = keyring.get_keyring()
    keyring.set_keyring(FileKeyring())
    yield tmp_path / "keyring.json"
    keyring.set_keyring(previous)


def test_toml_string_escapes_quotes_backslashes_and_control_characters() -> None:
    value = 'a"b\\c\nd\te\x01f\x7fé'
    assert tomllib.loads(f"k = {toml_string(value)}")["k"] == value


def test_appending_keeps_the_existing_text_and_comments(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(EXISTING)
    config = add_account(path, new_account())
    text = path.read_text()
    assert text.startswith(EXISTING)
    assert [a.name for a in config.accounts] == ["home", "work"]
    assert config.theme == "tui-mail-light"


def test_written_account_loads_with_every_value(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("not read here")
    path = tmp_path / "sub" / "config.toml"
    account = new_account("my work", incoming=ServerConfig(
        Protocol.IMAP, "127.0.0.1", 10993, Security.TLS, "zoe@work.test", ca_file=ca))
    work = add_account(path, account).account("my work")
    assert work.address.name == 'Zoë "Z" \\ Ünder' and work.address.email == "zoe@work.test"
    assert (work.incoming.host, work.incoming.port, work.incoming.ca_file) == ("127.0.0.1", 10993, ca)
    assert work.smtp is not None and work.smtp.username == "zoe-login"
    assert work.smtp.security is Security.STARTTLS
    assert load_config(path).warnings == ()


def test_new_file_is_private_and_holds_no_password(tmp_path: Path) -> None:
    path = tmp_path / "config" / "tui-mail" / "config.toml"
    add_account(path, new_account())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "must-not-be-written" not in path.read_text()
    assert "password" not in tomllib.loads(path.read_text())["accounts"]["work"]["incoming"]


def test_an_existing_name_is_refused_and_the_file_is_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(EXISTING)
    with pytest.raises(ConfigError, match="'home' already exists"):
        add_account(path, new_account("home"))
    assert path.read_text() == EXISTING


def test_save_stores_the_password_in_the_keyring_not_the_file(tmp_path: Path, file_keyring) -> None:
    path = tmp_path / "config.toml"
    save_account(path, new_account(), "s3cret-pw")
    assert "s3cret-pw" not in path.read_text()
    stored = file_keyring.read_text()
    assert "tui-mail\\u0000work:incoming" in stored and "tui-mail\\u0000work:smtp" in stored
    assert "s3cret-pw" in stored


def test_without_a_keyring_save_refuses_and_writes_nothing(tmp_path: Path, monkeypatch) -> None:
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        with pytest.raises(SecretError, match="password_command"):
            save_account(tmp_path / "config.toml", new_account(), "pw")
        assert not (tmp_path / "config.toml").exists()
        config = save_account(tmp_path / "config.toml", new_account(), "",
                              password_command="cat ~/work.pw")
    finally:
        keyring.set_keyring(previous)
    assert config.account("work").incoming.password_command == "cat ~/work.pw"
    smtp = config.account("work").smtp
    assert smtp is not None and smtp.password_command == "cat ~/work.pw"


# ---- accounts that sign in with OAuth2 ---------------------------------------------------------

def oauth_account(name: str, oauth2, *, incoming_host: str = "imap.gmail.com") -> NewAccount:
    return NewAccount(
        name, "zoe@corp.test", "", ServerConfig(Protocol.IMAP, incoming_host, 993, Security.TLS,
                                                "zoe@corp.test"),
        ServerConfig(Protocol.SMTP, "smtp.gmail.com", 465, Security.TLS, "zoe@corp.test"),
        oauth2=oauth2)


def oauth2_settings(tmp_path: Path):
    from tui_mail.model import OAuth2Flow
    from tui_mail.oauth2.providers import GOOGLE, MICROSOFT
    from tui_mail.setup.oauth import OAuthSetup

    ca = tmp_path / "idp-ca.pem"
    ca.write_text("not read here")
    setup = OAuthSetup()
    custom = replace(GOOGLE, key="custom", authorization_url="https://127.0.0.1:8443/authorize",
                     token_url="https://127.0.0.1:8443/token",
                     device_authorization_url="https://127.0.0.1:8443/device",
                     scopes=("mail", "offline_access"))
    return {
        "google": setup.oauth2_config(GOOGLE, "123-abc.apps.googleusercontent.com", 'se"cret'),
        "microsoft": setup.oauth2_config(MICROSOFT, "0000-1111"),
        "microsoft-tenant": setup.oauth2_config(MICROSOFT, "0000-1111",
                                                tenant="contoso.onmicrosoft.com"),
        "custom": OAuthSetup(ca_file=ca, flow=OAuth2Flow.DEVICE).oauth2_config(custom, "test"),
        "google-elsewhere": replace(setup.oauth2_config(GOOGLE, "id"),
                                    token_url="https://127.0.0.1:8443/token", ca_file=ca,
                                    refresh_token_command="pass show google", timeout=5.5),
    }


@pytest.mark.parametrize("which", ["google", "microsoft", "microsoft-tenant", "custom",
                                   "google-elsewhere"])
def test_an_oauth2_account_loads_back_with_the_same_settings(tmp_path: Path, which: str) -> None:
    oauth2 = oauth2_settings(tmp_path)[which]
    path = tmp_path / "config.toml"
    path.write_text(EXISTING)
    config = add_account(path, oauth_account("mail", oauth2))
    assert config.account("mail").oauth2 == oauth2
    assert parse_config(path.read_text(), path).account("mail").oauth2 == oauth2
    assert load_config(path).warnings == ()


def test_the_oauth2_table_holds_only_what_differs_from_the_provider(tmp_path: Path) -> None:
    settings = oauth2_settings(tmp_path)
    path = tmp_path / "config.toml"
    add_account(path, oauth_account("g", settings["google"]))
    add_account(path, oauth_account("m", settings["microsoft-tenant"]))
    table = tomllib.loads(path.read_text())["accounts"]
    assert table["g"]["oauth2"] == {"provider": "google",
                                    "client_id": "123-abc.apps.googleusercontent.com",
                                    "client_secret": 'se"cret'}
    assert table["m"]["oauth2"] == {"provider": "microsoft", "client_id": "0000-1111",
                                    "tenant": "contoso.onmicrosoft.com"}
    for account in table.values():
        for server in (account["incoming"], account["smtp"]):
            assert not any("password" in key or "token" in key for key in server)


def test_save_signs_in_first_and_writes_nothing_when_that_fails(tmp_path: Path,
                                                                file_keyring) -> None:
    from tui_mail.oauth2.http import OAuthError

    oauth2 = oauth2_settings(tmp_path)["google"]
    path = tmp_path / "config.toml"
    signed_in: list[Account] = []

    def refused(account: Account) -> NoReturn:
        signed_in.append(account)
        raise OAuthError("the sign-in was refused: access_denied", "access_denied")

    with pytest.raises(OAuthError):
        save_oauth_account(path, oauth_account("work", oauth2), refused)
    assert not path.exists()
    # The sign-in got the account as it will be loaded from the file.
    assert signed_in[0].name == "work" and signed_in[0].oauth2 == oauth2

    config = save_oauth_account(path, oauth_account("work", oauth2), signed_in.append)
    assert config.account("work").oauth2 == oauth2
    assert signed_in[1].oauth2 == oauth2


def test_save_refuses_a_taken_name_before_signing_in(tmp_path: Path) -> None:
    oauth2 = oauth2_settings(tmp_path)["microsoft"]
    path = tmp_path / "config.toml"
    path.write_text(EXISTING)

    def never(account) -> None:
        raise AssertionError("no sign-in expected")

    with pytest.raises(ConfigError, match="'home' already exists"):
        save_oauth_account(path, oauth_account("home", oauth2), never)
    assert path.read_text() == EXISTING
