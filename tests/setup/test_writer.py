"""Adding an account to the config file: keeps what is there, valid TOML, private, no password."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path

import keyring
import pytest

from tests.support.filekeyring import FileKeyring
from tui_mail.config import load_config
from tui_mail.errors import ConfigError, SecretError
from tui_mail.model import Protocol, Security, ServerConfig
from tui_mail.setup.save import save_account
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


def new_account(name: str = "work", **kw) -> NewAccount:
    base = {
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
    assert config.account("work").smtp.password_command == "cat ~/work.pw"
