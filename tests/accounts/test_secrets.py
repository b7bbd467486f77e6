"""Passwords come from a command, the keyring or (with a warning) the file; never leak."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from tests.support.filekeyring import FileKeyring
from tui_mail import secrets
from tui_mail.errors import SecretError
from tui_mail.model import Account, Address, Protocol, Security, ServerConfig


def account(**server: object) -> Account:
    incoming = ServerConfig(
        protocol=Protocol.IMAP, host="imap.example.com", port=993, security=Security.TLS,
        username="alice", **server,  # type: ignore[arg-type]
    )
    return Account(name="work", address=Address("", "alice@example.com"), incoming=incoming, smtp=None)


@pytest.fixture
def file_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FileKeyring]:
    monkeypatch.setenv("TUI_MAIL_TEST_KEYRING", str(tmp_path / "keyring.json"))
    backend = FileKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def no_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


def test_password_command_first_line_is_the_password(no_keyring: None) -> None:
    assert secrets.get_password(account(password_command="printf 's3cret\\nignored\\n'"), "incoming") == "s3cret"


def test_failing_password_command_is_a_clear_error_without_output(no_keyring: None) -> None:
    with pytest.raises(SecretError) as info:
        secrets.get_password(account(password_command="x=lea; echo ${x}ked; echo 'no such entry' >&2; exit 3"), "incoming")
    text = str(info.value)
    assert "exit status 3" in text and "no such entry" in text and "account 'work'" in text
    assert "leaked" not in text


def test_empty_password_command_output_is_an_error(no_keyring: None) -> None:
    with pytest.raises(SecretError, match="printed nothing"):
        secrets.get_password(account(password_command="true"), "incoming")


def test_keyring_round_trip_under_service_tui_mail(file_keyring: FileKeyring) -> None:
    secrets.set_password(account(), "incoming", "pw-from-keyring")
    assert file_keyring.get_password("tui-mail", "work:incoming") == "pw-from-keyring"
    assert secrets.get_password(account(), "incoming") == "pw-from-keyring"


def test_password_in_the_file_is_used_when_nothing_else_is(file_keyring: FileKeyring) -> None:
    assert secrets.get_password(account(password="in-file"), "incoming") == "in-file"


def test_headless_linux_without_keyring_names_the_ways_out(no_keyring: None) -> None:
    with pytest.raises(SecretError) as info:
        secrets.get_password(account(), "incoming")
    assert "no usable keyring backend" in str(info.value)
    assert "password_command" in str(info.value)
    with pytest.raises(SecretError, match="password_command"):
        secrets.set_password(account(), "incoming", "x")


def test_missing_password_with_a_keyring_says_how_to_set_it(file_keyring: FileKeyring) -> None:
    with pytest.raises(SecretError, match="tui-mail accounts set-password work incoming"):
        secrets.get_password(account(), "incoming")


def test_oauth2_token_command(no_keyring: None) -> None:
    assert secrets.get_oauth2_token(account(oauth2_token_command="echo tok"), "incoming") == "tok"
    assert secrets.get_oauth2_token(account(), "incoming") is None
